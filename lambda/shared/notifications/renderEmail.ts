import type { Locale, RotationMode } from '../../contract/appSettings.ts';
import type { NotificationEvent } from '../../contract/notificationEvents.ts';
import type { RotationTrigger } from '../model.ts';
import type { NotificationContext } from './events.ts';

/** One email, ready for SES: the subject, a plain-text body and an HTML body with the same content. */
export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

// ---------------------------------------------------------------------------------------------------------
// What an admin can do next: the same commands in every language.

type ActionId = 'expire-now' | 'cancel' | 'show' | 'history' | 'rotate-later' | 'rotate-now' | 'submit';

const COMMANDS: Readonly<Record<ActionId, (appId: string) => string>> = {
  'expire-now': (appId) => `rotor expire-now ${appId}`,
  cancel: (appId) => `rotor cancel ${appId}`,
  show: (appId) => `rotor apps show ${appId}`,
  history: (appId) => `rotor history ${appId}`,
  'rotate-later': (appId) => `rotor rotate ${appId} --expire later`,
  'rotate-now': (appId) => `rotor rotate ${appId} --expire now`,
  submit: (appId) => `rotor submit ${appId} --token-stdin`,
};

const NEXT_ACTIONS: Readonly<Record<NotificationEvent, readonly ActionId[]>> = {
  ROTATION_INITIATED: ['expire-now', 'cancel'],
  ROTATION_CANCELLED: ['rotate-later'],
  TOKEN_INVALIDATED: ['show', 'history'],
  TOKEN_EXPIRES_IN_24H: ['expire-now', 'cancel', 'show'],
  ROTATION_COMPLETED: ['history'],
  ROTATION_REMINDER: ['rotate-later', 'rotate-now'],
  ROTATION_FAILED: ['history', 'rotate-later'],
  HANDOFF_REQUESTED: ['submit', 'show'],
  HANDOFF_REMINDER: ['submit', 'show'],
  HUBSPOT_TOKEN_STILL_VALID: ['show', 'history'],
};

/** The facts listed under "Details", in this order, beyond the ones every email has. */
type FactId =
  | 'expiresAt'
  | 'expiredAt'
  | 'usage'
  | 'tokenIssuedAt'
  | 'tokenAge'
  | 'interval'
  | 'step'
  | 'failure'
  | 'hubId'
  | 'handoffDeadline'
  | 'scopesAdded'
  | 'scopesRemoved';

const EVENT_FACTS: Readonly<Record<NotificationEvent, readonly FactId[]>> = {
  ROTATION_INITIATED: ['expiresAt', 'scopesAdded', 'scopesRemoved'],
  ROTATION_CANCELLED: [],
  TOKEN_INVALIDATED: [],
  TOKEN_EXPIRES_IN_24H: ['expiresAt', 'usage'],
  ROTATION_COMPLETED: ['expiredAt'],
  ROTATION_REMINDER: ['tokenIssuedAt', 'tokenAge', 'interval'],
  ROTATION_FAILED: ['step', 'failure'],
  HANDOFF_REQUESTED: ['hubId', 'handoffDeadline'],
  HANDOFF_REMINDER: ['hubId', 'handoffDeadline'],
  HUBSPOT_TOKEN_STILL_VALID: ['hubId', 'expiredAt'],
};

/** The colour of the email's top bar: how much the event asks of the reader. */
const EVENT_TONE: Readonly<Record<NotificationEvent, string>> = {
  ROTATION_INITIATED: '#1d4ed8',
  ROTATION_CANCELLED: '#52606d',
  TOKEN_INVALIDATED: '#b45309',
  TOKEN_EXPIRES_IN_24H: '#b45309',
  ROTATION_COMPLETED: '#15803d',
  ROTATION_REMINDER: '#1d4ed8',
  ROTATION_FAILED: '#b91c1c',
  HANDOFF_REQUESTED: '#1d4ed8',
  HANDOFF_REMINDER: '#b45309',
  HUBSPOT_TOKEN_STILL_VALID: '#b91c1c',
};

// ---------------------------------------------------------------------------------------------------------
// The words, per locale and per event.

/** A paragraph, or one the reader must not miss. */
type Block = string | { readonly warn: string };

/** Values already written for the reader's locale and the app's time zone. */
interface Words {
  /** The app id. */
  readonly app: string;
  /** A time in the app's zone and in UTC, e.g. `05.12.2026, 14:30 MEZ (2026-12-05 13:30 UTC)`. */
  time(iso: string | undefined): string;
  /** A duration in its largest exact unit, e.g. `7 Tage`; `dative` gives `7 Tagen` in German. */
  duration(seconds: number | undefined, form?: 'dative'): string;
  /** A count of uses, e.g. `3-mal` / `3 times`. */
  times(count: number): string;
  /** A number of days, e.g. `212 Tage`. */
  days(count: number): string;
}

type Text<T> = (context: NotificationContext, words: Words) => T;

interface EventCopy {
  /** The subject after `[Rotor] <app>: `; also the email's headline. */
  readonly subject: Text<string>;
  /** What happened, for every reader. */
  readonly summary: Text<Block[]>;
  /** What it means for an admin, above the commands. */
  readonly admin: Text<Block[]>;
  /** What it means for a customer contact, who cannot run `rotor`. */
  readonly customer: Text<Block[]>;
  /** Why the reader would run each next action. */
  readonly actions: Readonly<Partial<Record<ActionId, string>>>;
  /** For the admins of a HubSpot app: what to click in HubSpot, and what HubSpot said. */
  readonly hubspot?: Text<Block[]>;
}

type Unit = 'day' | 'hour' | 'minute' | 'second';

interface LocaleCopy {
  /** The BCP 47 locale for Intl. */
  readonly intl: string;
  /** Singular, plural and (German) dative plural of each unit. */
  readonly units: Readonly<Record<Unit, readonly [string, string, string]>>;
  readonly times: (count: number, formatted: string) => string;
  readonly modes: Readonly<Record<RotationMode, string>>;
  readonly graceOf: (duration: string) => string;
  readonly triggers: Readonly<Record<RotationTrigger, string>>;
  /** How a customer, who does not know Rotor's internals, is told who started it. */
  readonly customerTriggers: Readonly<Record<RotationTrigger, string>>;
  /** Who "started" a reminder. */
  readonly dailyCheck: string;
  readonly labels: Readonly<{
    app: string;
    rotation: string;
    mode: string;
    startedBy: string;
    reason: string;
    occurredAt: string;
    expiresAt: string;
    expiredAt: string;
    usage: string;
    tokenIssuedAt: string;
    tokenAge: string;
    interval: string;
    step: string;
    failure: string;
    hubId: string;
    handoffDeadline: string;
    scopesAdded: string;
    scopesRemoved: string;
    details: string;
    nextSteps: string;
    forYou: string;
    important: string;
  }>;
  readonly usageValue: (calls: string, lastUsed: string | undefined) => string;
  readonly noUsage: string;
  readonly contactAdmins: (app: string) => string;
  readonly footer: (app: string) => string;
  readonly events: Readonly<Record<NotificationEvent, EventCopy>>;
}

function usageBlocks(context: NotificationContext, words: Words, copy: UsageCopy): Block[] {
  const usage = context.oldTokenUsage;
  if (!usage) return [];
  if (usage.count === 0) return [copy.unused];
  return [{ warn: copy.used(words.times(usage.count), usage.lastUsedAt && words.time(usage.lastUsedAt)) }];
}

interface UsageCopy {
  readonly unused: string;
  readonly used: (times: string, lastUsed: string | undefined) => string;
}

const GERMAN_USAGE: UsageCopy = {
  unused: 'Das alte Token wurde in den letzten 24 Stunden nicht verwendet. Der Ablauf sollte nichts stören.',
  used: (times, last) =>
    `Das alte Token wurde in den letzten 24 Stunden noch ${times} verwendet${last ? `, zuletzt am ${last}` : ''}. ` +
    'Diese Aufrufer scheitern nach dem Ablauf: Stellen Sie sie auf das neue Token um oder brechen Sie die Rotation ab.',
};

const ENGLISH_USAGE: UsageCopy = {
  unused: 'The old token was not used in the last 24 hours. Its expiry should not break anything.',
  used: (times, last) =>
    `The old token was still used ${times} in the last 24 hours${last ? `, last on ${last}` : ''}. ` +
    'Those callers will fail once it expires: switch them to the new token, or cancel the rotation.',
};

/** Where a HubSpot private app's token is rotated, in HubSpot's (English) menu names. */
const hubspotAuthPage = (app: string) => `Development > Legacy apps > ${app} > Auth`;

function scopeChanges(c: NotificationContext, none: string, added: string, removed: string): string {
  const parts = [
    c.scopesAdded?.length ? `${added}: ${c.scopesAdded.join(', ')}` : '',
    c.scopesRemoved?.length ? `${removed}: ${c.scopesRemoved.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join('; ')}.` : none;
}

const GERMAN: LocaleCopy = {
  intl: 'de-DE',
  units: {
    day: ['Tag', 'Tage', 'Tagen'],
    hour: ['Stunde', 'Stunden', 'Stunden'],
    minute: ['Minute', 'Minuten', 'Minuten'],
    second: ['Sekunde', 'Sekunden', 'Sekunden'],
  },
  times: (_count, formatted) => `${formatted}-mal`,
  modes: {
    'expire-now': 'Rotieren und jetzt ablaufen lassen',
    'expire-later': 'Rotieren und später ablaufen lassen',
  },
  graceOf: (duration) => `Übergangsfrist ${duration}`,
  triggers: {
    operator: 'Operator (rotor-CLI)',
    schedule: 'Zeitplan (tägliche Prüfung)',
    'secrets-manager': 'Secrets Manager (rotate-secret oder Konsole)',
  },
  customerTriggers: {
    operator: 'Administratoren der App',
    schedule: 'Automatisch (Zeitplan)',
    'secrets-manager': 'Automatisch (Secrets Manager)',
  },
  dailyCheck: 'Rotor (tägliche Prüfung)',
  labels: {
    app: 'App',
    rotation: 'Rotation',
    mode: 'Modus',
    startedBy: 'Gestartet von',
    reason: 'Begründung',
    occurredAt: 'Zeitpunkt',
    expiresAt: 'Altes Token gültig bis',
    expiredAt: 'Altes Token abgelaufen',
    usage: 'Nutzung des alten Tokens (24 Std.)',
    tokenIssuedAt: 'Token ausgestellt',
    tokenAge: 'Alter des Tokens',
    interval: 'Rotationsintervall',
    step: 'Fehlgeschlagener Schritt',
    failure: 'Fehler',
    hubId: 'HubSpot-Portal (Hub-ID)',
    handoffDeadline: 'Rotor wartet bis',
    scopesAdded: 'Neue Scopes',
    scopesRemoved: 'Entfallene Scopes',
    details: 'Details',
    nextSteps: 'Nächste Schritte',
    forYou: 'Was das für Sie bedeutet',
    important: 'Wichtig',
  },
  usageValue: (calls, last) => (last ? `${calls}, zuletzt am ${last}` : calls),
  noUsage: 'keine',
  contactAdmins: (app) => `Fragen? Wenden Sie sich an die Administratoren von ${app}.`,
  footer: (app) => `Gesendet von Rotor für ${app}. Rotor schickt nie Token-Werte per E-Mail.`,
  events: {
    ROTATION_INITIATED: {
      subject: () => 'Eine Token-Rotation wurde initiiert',
      summary: (c, w) => [
        `Für ${w.app} ist jetzt ein neues Token aktuell. ` +
          (c.expiresAt
            ? `Das alte Token bleibt ${c.graceSeconds ? `noch ${w.duration(c.graceSeconds)} ` : ''}gültig, bis ${w.time(c.expiresAt)}.`
            : 'Das alte Token bleibt bis zum Ende der Übergangsfrist gültig.'),
      ],
      admin: () => [
        'Stellen Sie bis dahin alle Dienste auf das neue Token um. ' +
          'Dienste, die das Token aus Secrets Manager lesen, erhalten das neue beim nächsten Lesen.',
      ],
      customer: (c, w) => [
        `Falls Ihre Systeme dieses Token verwenden, stellen Sie ${c.expiresAt ? `bis ${w.time(c.expiresAt)} ` : ''}auf das neue um. ` +
          `Rotor verschickt keine Tokens per E-Mail: Sie erhalten es von den Administratoren von ${w.app}.`,
      ],
      actions: {
        'expire-now': 'Sobald alle Dienste das neue Token verwenden, das alte sofort sperren:',
        cancel:
          'Falls etwas nicht funktioniert, die Rotation abbrechen (das alte Token wird wieder aktuell, das neue gesperrt):',
      },
      hubspot: (c, w) => [
        `HubSpot hat das neue Token geprüft (Portal ${c.hubId ?? '?'}). Scopes gegenüber dem alten Token: ` +
          scopeChanges(c, 'unverändert.', 'neu', 'entfallen'),
        'HubSpot lässt das alte Token nach 7 Tagen selbst ablaufen; Rotor prüft am Ende der Übergangsfrist, dass HubSpot es ablehnt.',
        `Wenn Sie in HubSpot „Expire now“ oder „Cancel rotation“ klicken (${hubspotAuthPage(w.app)}), führen Sie danach auch den passenden rotor-Befehl aus.`,
      ],
    },
    ROTATION_CANCELLED: {
      subject: () => 'Eine ausstehende Rotation wurde abgebrochen',
      summary: (_c, w) => [
        `Die ausstehende Rotation von ${w.app} wurde abgebrochen und rückgängig gemacht. ` +
          'Das alte Token ist wieder aktuell und bleibt gültig; das neue Token wurde gesperrt.',
      ],
      admin: () => [
        'Dienste, die schon auf das neue Token umgestellt hatten, müssen das Token erneut aus Secrets Manager lesen.',
      ],
      customer: () => [
        'Ihr bisheriges Token funktioniert weiter. Falls Sie schon auf das neue umgestellt hatten, ' +
          'stellen Sie zurück; sonst ist nichts zu tun.',
      ],
      actions: { 'rotate-later': 'Eine neue Rotation starten, sobald Sie bereit sind:' },
      hubspot: (c, w) =>
        c.hubspotCheck?.verdict === 'refused'
          ? ['HubSpot lehnt das neue Token bereits ab: Die Rotation ist auch in HubSpot abgebrochen.']
          : [
              {
                warn:
                  (c.hubspotCheck?.verdict === 'accepted'
                    ? 'HubSpot akzeptiert das neue Token noch. '
                    : 'Rotor konnte HubSpot nicht erreichen. ') +
                  `Klicken Sie in HubSpot unter ${hubspotAuthPage(w.app)} auf „Cancel rotation“ („Rotieren abbrechen“)` +
                  `${c.expiresAt ? `, vor ${w.time(c.expiresAt)}` : ''}: Sonst lässt HubSpot das alte Token ablaufen, das jetzt wieder aktuell ist.`,
              },
            ],
    },
    TOKEN_INVALIDATED: {
      subject: () => 'Ein Token wurde sofort für ungültig erklärt',
      summary: (c, w) => [
        `Das alte Token von ${w.app} wurde am ${w.time(c.occurredAt)} sofort für ungültig erklärt ` +
          'und funktioniert nicht mehr. Das neue Token ist aktuell.',
      ],
      admin: () => [
        {
          warn:
            'Dienste, die noch das alte Token verwenden, erhalten jetzt Fehler (z. B. HTTP 401). ' +
            'Prüfen Sie, dass alle Dienste das neue Token aus Secrets Manager lesen.',
        },
      ],
      customer: (_c, w) => [
        'Falls Ihre Aufrufe seitdem mit 401 Unauthorized scheitern, stellen Sie auf das neue Token um. ' +
          `Sie erhalten es von den Administratoren von ${w.app}; Rotor verschickt keine Tokens per E-Mail.`,
      ],
      actions: {
        show: 'Prüfen, ob Ihre Dienste das neue Token verwenden:',
        history: 'Nachsehen, was passiert ist und wer es ausgelöst hat:',
      },
      hubspot: (c, w) =>
        c.hubspotCheck?.verdict === 'refused'
          ? ['HubSpot lehnt das alte Token ebenfalls ab.']
          : [
              {
                warn:
                  (c.hubspotCheck?.verdict === 'accepted'
                    ? 'HubSpot akzeptiert das alte Token noch: Rotor gibt es nicht mehr heraus, aber nur HubSpot kann es sperren. '
                    : 'Rotor konnte HubSpot nicht fragen, ob das alte Token noch gilt. ') +
                  `Klicken Sie in HubSpot unter ${hubspotAuthPage(w.app)} beim alten Token auf „Expire now“.`,
              },
            ],
    },
    TOKEN_EXPIRES_IN_24H: {
      subject: () => 'Das alte Token läuft in 24 Stunden ab',
      summary: (c, w) => [
        `Das alte Token von ${w.app} läuft ${c.expiresAt ? `am ${w.time(c.expiresAt)}` : 'in 24 Stunden'} ab. ` +
          'Danach funktioniert nur noch das neue Token.',
      ],
      admin: (c, w) => usageBlocks(c, w, GERMAN_USAGE),
      customer: (c, w) => [
        'Falls Ihre Systeme noch das alte Token verwenden, stellen Sie ' +
          `${c.expiresAt ? `bis ${w.time(c.expiresAt)} ` : 'vorher '}auf das neue um. ` +
          `Sie erhalten es von den Administratoren von ${w.app}.`,
      ],
      actions: {
        'expire-now': 'Wenn alle Dienste das neue Token verwenden, das alte schon jetzt sperren:',
        cancel:
          'Wenn Dienste nicht rechtzeitig umstellen können, die Rotation abbrechen (das alte Token wird wieder aktuell):',
        show: 'Zustand der App und ihrer Tokens ansehen:',
      },
    },
    ROTATION_COMPLETED: {
      subject: (c, w) =>
        c.graceSeconds
          ? `Das Token wurde erfolgreich rotiert, das alte ist nach ${w.duration(c.graceSeconds, 'dative')} abgelaufen`
          : 'Das Token wurde erfolgreich rotiert, das alte ist abgelaufen',
      summary: (c, w) => [
        `Die Rotation von ${w.app} ist abgeschlossen: Das alte Token ist ` +
          `${c.expiresAt ? `am ${w.time(c.expiresAt)} ` : ''}abgelaufen` +
          `${c.graceSeconds ? `, nach der Übergangsfrist von ${w.duration(c.graceSeconds, 'dative')}` : ''}. ` +
          'Jetzt funktioniert nur noch das neue Token.',
      ],
      admin: () => ['Sie müssen nichts weiter tun.'],
      customer: (_c, w) => [
        'Wenn Sie schon das neue Token verwenden, ist nichts zu tun. Falls Ihre Aufrufe mit 401 Unauthorized ' +
          `scheitern, stellen Sie auf das neue Token um; Sie erhalten es von den Administratoren von ${w.app}.`,
      ],
      actions: { history: 'Diese und frühere Rotationen ansehen:' },
      hubspot: () => ['Rotor hat nachgefragt: HubSpot lehnt das alte Token ab.'],
    },
    ROTATION_REMINDER: {
      subject: (c, w) =>
        c.intervalSeconds
          ? `Token seit mehr als ${w.duration(c.intervalSeconds, 'dative')} nicht rotiert`
          : 'Token-Rotation ist fällig',
      summary: (c, w) => [
        `Das Token von ${w.app} ` +
          (c.tokenIssuedAt
            ? `wurde am ${w.time(c.tokenIssuedAt)} ausgestellt und ist jetzt ${w.days(ageInDays(c))} alt, länger als`
            : 'ist älter als') +
          ` das Rotationsintervall der App${c.intervalSeconds ? ` (${w.duration(c.intervalSeconds)})` : ''}.`,
      ],
      admin: () => [
        'Rotieren Sie es, wenn es passt. „Später ablaufen lassen“ hält das alte Token für die Übergangsfrist gültig, ' +
          'damit Dienste umstellen können; „jetzt ablaufen lassen“ macht es sofort ungültig. ' +
          'Bis dahin erinnert Rotor Sie regelmäßig.',
      ],
      customer: () => ['Im Moment ist nichts zu tun. Sie werden informiert, wenn das Token ersetzt wird.'],
      actions: {
        'rotate-later': 'Rotieren; das alte Token bleibt für die Übergangsfrist gültig (empfohlen):',
        'rotate-now': 'Rotieren und das alte Token sofort ungültig machen:',
      },
    },
    ROTATION_FAILED: {
      subject: () => 'Token-Rotation fehlgeschlagen, das alte Token gilt weiter',
      summary: (c, w) => [
        `Die Rotation von ${w.app} ist im Schritt ${c.failedStep ?? 'unbekannt'} fehlgeschlagen: ` +
          `${c.failure ?? 'keine Fehlermeldung erfasst'}`,
        'Das alte Token funktioniert weiter und ist unverändert. Rotor hat das unfertige neue Token verworfen; ' +
          'eine neue Rotation ist möglich.',
      ],
      admin: () => ['Beheben Sie die Ursache und versuchen Sie es dann erneut.'],
      customer: () => ['Ihr Token funktioniert weiter. Sie müssen nichts tun.'],
      actions: {
        history: 'Die fehlgeschlagene Rotation und ihren Fehler ansehen:',
        'rotate-later': 'Erneut versuchen, sobald die Ursache behoben ist:',
      },
    },
    HANDOFF_REQUESTED: {
      subject: () => 'Bitte das HubSpot-Token rotieren und an Rotor übergeben',
      summary: (c, w) => [
        `Für ${w.app} hat eine Rotation begonnen. HubSpot bietet keine Schnittstelle zum Rotieren: ` +
          'Das neue Token erzeugen Sie in HubSpot und übergeben es an Rotor. ' +
          `Rotor wartet ${c.handoffDeadline ? `bis ${w.time(c.handoffDeadline)}` : 'darauf'} und erinnert Sie täglich; ` +
          'bis dahin bleibt das alte Token unverändert aktuell.',
      ],
      admin: (_c, w) => [
        `1. In HubSpot: ${hubspotAuthPage(w.app)} > Rotate > „Rotate and expire later“ ` +
          '(deutsche Oberfläche: „Rotieren und später ablaufen lassen“). Bei einem Service Key: dessen Seite unter Development > Keys > Service keys.',
        '2. Das neue Token kopieren und mit dem Befehl unten übergeben (über die Standardeingabe, nie als Argument).',
        '3. Rotor prüft es bei HubSpot (Portal, Scopes), macht es in Secrets Manager aktuell, und das alte gilt noch 7 Tage.',
      ],
      customer: () => ['Im Moment ist nichts zu tun.'],
      actions: {
        submit: 'Das neue Token übergeben (z. B. aus der Zwischenablage oder einer Datei):',
        show: 'Stand der Rotation ansehen:',
      },
    },
    HANDOFF_REMINDER: {
      subject: () => 'Erinnerung: Das neue HubSpot-Token fehlt noch',
      summary: (c, w) => [
        `Die Rotation von ${w.app} wartet noch auf das neue Token aus HubSpot. ` +
          (c.handoffDeadline
            ? `Kommt es nicht bis ${w.time(c.handoffDeadline)}, bricht Rotor die Rotation ab; das alte Token bleibt dann aktuell.`
            : 'Das alte Token bleibt bis dahin aktuell.'),
      ],
      admin: (_c, w) => [
        `In HubSpot: ${hubspotAuthPage(w.app)} > Rotate > „Rotate and expire later“, dann das neue Token mit dem Befehl unten übergeben.`,
      ],
      customer: () => ['Im Moment ist nichts zu tun.'],
      actions: {
        submit: 'Das neue Token übergeben:',
        show: 'Stand der Rotation ansehen:',
      },
    },
    HUBSPOT_TOKEN_STILL_VALID: {
      subject: () => 'HubSpot hat das alte Token nicht ablaufen lassen',
      summary: (c, w) => [
        `Die Übergangsfrist von ${w.app} ist ${c.expiresAt ? `am ${w.time(c.expiresAt)} ` : ''}abgelaufen, ` +
          (c.hubspotCheck?.verdict === 'unknown'
            ? 'aber Rotor konnte HubSpot nicht fragen, ob das alte Token noch gilt.'
            : 'aber HubSpot akzeptiert das alte Token immer noch.') +
          ' Rotor gibt es nicht mehr heraus (es ist in Secrets Manager nicht mehr markiert); sperren kann es nur HubSpot.',
      ],
      admin: (_c, w) => [
        {
          warn: `Klicken Sie in HubSpot unter ${hubspotAuthPage(w.app)} beim alten Token auf „Expire now“. Bis dahin funktioniert es weiter.`,
        },
      ],
      customer: () => ['Im Moment ist nichts zu tun.'],
      actions: {
        show: 'Zustand der App und ihrer Tokens ansehen:',
        history: 'Diese und frühere Rotationen ansehen:',
      },
    },
  },
};

const ENGLISH: LocaleCopy = {
  intl: 'en-US',
  units: {
    day: ['day', 'days', 'days'],
    hour: ['hour', 'hours', 'hours'],
    minute: ['minute', 'minutes', 'minutes'],
    second: ['second', 'seconds', 'seconds'],
  },
  times: (count, formatted) => (count === 1 ? 'once' : `${formatted} times`),
  modes: {
    'expire-now': 'Rotate and expire now',
    'expire-later': 'Rotate and expire later',
  },
  graceOf: (duration) => `grace period ${duration}`,
  triggers: {
    operator: 'Operator (rotor CLI)',
    schedule: 'Schedule (daily check)',
    'secrets-manager': 'Secrets Manager (rotate-secret or console)',
  },
  customerTriggers: {
    operator: "The app's admins",
    schedule: 'Automatic (schedule)',
    'secrets-manager': 'Automatic (Secrets Manager)',
  },
  dailyCheck: 'Rotor (daily check)',
  labels: {
    app: 'App',
    rotation: 'Rotation',
    mode: 'Mode',
    startedBy: 'Started by',
    reason: 'Reason',
    occurredAt: 'When',
    expiresAt: 'Old token valid until',
    expiredAt: 'Old token expired',
    usage: 'Old token use (last 24 h)',
    tokenIssuedAt: 'Token issued',
    tokenAge: 'Token age',
    interval: 'Rotation interval',
    step: 'Failed step',
    failure: 'Error',
    hubId: 'HubSpot portal (hub id)',
    handoffDeadline: 'Rotor waits until',
    scopesAdded: 'Scopes added',
    scopesRemoved: 'Scopes removed',
    details: 'Details',
    nextSteps: 'What you can do next',
    forYou: 'What this means for you',
    important: 'Important',
  },
  usageValue: (calls, last) => (last ? `${calls}, last on ${last}` : calls),
  noUsage: 'none',
  contactAdmins: (app) => `Questions? Contact the admins of ${app}.`,
  footer: (app) => `Sent by Rotor for ${app}. Rotor never puts token values in emails.`,
  events: {
    ROTATION_INITIATED: {
      subject: () => 'A token rotation was initiated',
      summary: (c, w) => [
        `A new token is now current for ${w.app}. ` +
          (c.expiresAt
            ? `The old token stays valid ${c.graceSeconds ? `for ${w.duration(c.graceSeconds)}, ` : ''}until ${w.time(c.expiresAt)}.`
            : 'The old token stays valid until the grace period ends.'),
      ],
      admin: () => [
        'Switch every service to the new token before then. ' +
          'Services that read the token from Secrets Manager get the new one on their next read.',
      ],
      customer: (c, w) => [
        `If your systems use this token, switch to the new one${c.expiresAt ? ` before ${w.time(c.expiresAt)}` : ''}. ` +
          `Rotor never sends tokens by email: ask the admins of ${w.app} for it.`,
      ],
      actions: {
        'expire-now': 'Once every service uses the new token, revoke the old one now:',
        cancel:
          'If something breaks, cancel the rotation (the old token becomes current again, the new one is revoked):',
      },
      hubspot: (c, w) => [
        `HubSpot checked the new token (portal ${c.hubId ?? '?'}). Scopes compared with the old token: ` +
          scopeChanges(c, 'unchanged.', 'added', 'removed'),
        'HubSpot expires the old token itself after 7 days; at the end of the grace period Rotor checks that HubSpot refuses it.',
        `If you click "Expire now" or "Cancel rotation" in HubSpot (${hubspotAuthPage(w.app)}), run the matching rotor command too.`,
      ],
    },
    ROTATION_CANCELLED: {
      subject: () => 'A pending rotation was cancelled',
      summary: (_c, w) => [
        `The pending rotation of ${w.app} was cancelled and rolled back. ` +
          'The old token is current again and stays valid; the new token was revoked.',
      ],
      admin: () => [
        'Services that already switched to the new token must read the token from Secrets Manager again.',
      ],
      customer: () => [
        'The token you had before keeps working. If you already switched to the new one, switch back; ' +
          'otherwise there is nothing to do.',
      ],
      actions: { 'rotate-later': 'Start a new rotation when you are ready:' },
      hubspot: (c, w) =>
        c.hubspotCheck?.verdict === 'refused'
          ? ['HubSpot already refuses the new token: the rotation is cancelled in HubSpot too.']
          : [
              {
                warn:
                  (c.hubspotCheck?.verdict === 'accepted'
                    ? 'HubSpot still accepts the new token. '
                    : 'Rotor could not reach HubSpot. ') +
                  `In HubSpot, go to ${hubspotAuthPage(w.app)} and click "Cancel rotation"` +
                  `${c.expiresAt ? ` before ${w.time(c.expiresAt)}` : ''}: otherwise HubSpot expires the old token, which is current again.`,
              },
            ],
    },
    TOKEN_INVALIDATED: {
      subject: () => 'A token was invalidated immediately',
      summary: (c, w) => [
        `The old token of ${w.app} was invalidated on ${w.time(c.occurredAt)} and no longer works. ` +
          'The new token is current.',
      ],
      admin: () => [
        {
          warn:
            'Services still using the old token now get errors (e.g. HTTP 401). ' +
            'Make sure every service reads the new token from Secrets Manager.',
        },
      ],
      customer: (_c, w) => [
        'If your calls have failed with 401 Unauthorized since then, switch to the new token. ' +
          `Ask the admins of ${w.app} for it; Rotor never sends tokens by email.`,
      ],
      actions: {
        show: 'Check that your services use the new token:',
        history: 'See what happened and who started it:',
      },
      hubspot: (c, w) =>
        c.hubspotCheck?.verdict === 'refused'
          ? ['HubSpot refuses the old token too.']
          : [
              {
                warn:
                  (c.hubspotCheck?.verdict === 'accepted'
                    ? 'HubSpot still accepts the old token: Rotor no longer hands it out, but only HubSpot can revoke it. '
                    : 'Rotor could not ask HubSpot whether the old token still works. ') +
                  `In HubSpot, go to ${hubspotAuthPage(w.app)} and click "Expire now" next to the old token.`,
              },
            ],
    },
    TOKEN_EXPIRES_IN_24H: {
      subject: () => 'The old token expires in 24 hours',
      summary: (c, w) => [
        `The old token of ${w.app} expires ${c.expiresAt ? `on ${w.time(c.expiresAt)}` : 'in 24 hours'}. ` +
          'After that, only the new token works.',
      ],
      admin: (c, w) => usageBlocks(c, w, ENGLISH_USAGE),
      customer: (c, w) => [
        `If your systems still use the old token, switch to the new one ${c.expiresAt ? `before ${w.time(c.expiresAt)}` : 'before then'}. ` +
          `Ask the admins of ${w.app} for it.`,
      ],
      actions: {
        'expire-now': 'If every service uses the new token, expire the old one now:',
        cancel:
          'If services cannot switch in time, cancel the rotation (the old token becomes current again):',
        show: "See the app's state and its tokens:",
      },
    },
    ROTATION_COMPLETED: {
      subject: (c, w) =>
        c.graceSeconds
          ? `Token rotated; the old one expired after ${w.duration(c.graceSeconds)}`
          : 'Token rotated; the old one has expired',
      summary: (c, w) => [
        `The rotation of ${w.app} is complete: the old token expired` +
          `${c.expiresAt ? ` on ${w.time(c.expiresAt)}` : ''}` +
          `${c.graceSeconds ? `, after a grace period of ${w.duration(c.graceSeconds)}` : ''}. ` +
          'Only the new token works now.',
      ],
      admin: () => ['There is nothing more to do.'],
      customer: (_c, w) => [
        'If you already use the new token, there is nothing to do. If your calls fail with 401 Unauthorized, ' +
          `switch to the new token; ask the admins of ${w.app} for it.`,
      ],
      actions: { history: 'See this and earlier rotations:' },
      hubspot: () => ['Rotor checked: HubSpot refuses the old token.'],
    },
    ROTATION_REMINDER: {
      subject: (c, w) =>
        c.intervalSeconds
          ? `Token not rotated in over ${w.duration(c.intervalSeconds)}`
          : 'Token rotation is due',
      summary: (c, w) => [
        `The token of ${w.app} ` +
          (c.tokenIssuedAt
            ? `was issued on ${w.time(c.tokenIssuedAt)} and is now ${w.days(ageInDays(c))} old, longer than`
            : 'is older than') +
          ` the app's rotation interval${c.intervalSeconds ? ` (${w.duration(c.intervalSeconds)})` : ''}.`,
      ],
      admin: () => [
        'Rotate it when convenient. "Expire later" keeps the old token valid for the grace period so that services ' +
          'can switch; "expire now" invalidates it at once. Until then, Rotor keeps reminding you.',
      ],
      customer: () => ['There is nothing to do now. You will be told when the token is replaced.'],
      actions: {
        'rotate-later': 'Rotate, keeping the old token valid for the grace period (recommended):',
        'rotate-now': 'Rotate and invalidate the old token at once:',
      },
    },
    ROTATION_FAILED: {
      subject: () => 'Token rotation failed; the old token still works',
      summary: (c, w) => [
        `The rotation of ${w.app} failed at step ${c.failedStep ?? 'unknown'}: ` +
          `${c.failure ?? 'no error message recorded'}`,
        'The old token still works and is unchanged. Rotor discarded the unfinished new token; ' +
          'a new rotation can start.',
      ],
      admin: () => ['Fix the cause, then try again.'],
      customer: () => ['The token you use still works. There is nothing to do.'],
      actions: {
        history: 'See the failed rotation and its error:',
        'rotate-later': 'Try again once the cause is fixed:',
      },
    },
    HANDOFF_REQUESTED: {
      subject: () => 'Please rotate the HubSpot token and hand it to Rotor',
      summary: (c, w) => [
        `A rotation of ${w.app} has started. HubSpot has no API to rotate tokens: you create the new token in ` +
          `HubSpot and hand it over to Rotor. Rotor waits ${c.handoffDeadline ? `until ${w.time(c.handoffDeadline)}` : 'for it'} ` +
          'and reminds you every day; until then the old token stays current, unchanged.',
      ],
      admin: (_c, w) => [
        `1. In HubSpot: ${hubspotAuthPage(w.app)} > Rotate > "Rotate and expire later". ` +
          'For a service key: its page under Development > Keys > Service keys.',
        '2. Copy the new token and hand it over with the command below (through standard input, never as an argument).',
        '3. Rotor checks it with HubSpot (portal, scopes) and makes it current in Secrets Manager; the old one works for 7 more days.',
      ],
      customer: () => ['There is nothing to do now.'],
      actions: {
        submit: 'Hand over the new token (e.g. from the clipboard or a file):',
        show: 'See where the rotation stands:',
      },
    },
    HANDOFF_REMINDER: {
      subject: () => 'Reminder: the new HubSpot token is still missing',
      summary: (c, w) => [
        `The rotation of ${w.app} still waits for the new token from HubSpot. ` +
          (c.handoffDeadline
            ? `If it does not arrive by ${w.time(c.handoffDeadline)}, Rotor gives up; the old token then stays current.`
            : 'The old token stays current until then.'),
      ],
      admin: (_c, w) => [
        `In HubSpot: ${hubspotAuthPage(w.app)} > Rotate > "Rotate and expire later", then hand the new token over with the command below.`,
      ],
      customer: () => ['There is nothing to do now.'],
      actions: {
        submit: 'Hand over the new token:',
        show: 'See where the rotation stands:',
      },
    },
    HUBSPOT_TOKEN_STILL_VALID: {
      subject: () => 'HubSpot did not expire the old token',
      summary: (c, w) => [
        `The grace period of ${w.app} ended${c.expiresAt ? ` on ${w.time(c.expiresAt)}` : ''}, ` +
          (c.hubspotCheck?.verdict === 'unknown'
            ? 'but Rotor could not ask HubSpot whether the old token still works.'
            : 'but HubSpot still accepts the old token.') +
          ' Rotor no longer hands it out (Secrets Manager no longer labels it); only HubSpot can revoke it.',
      ],
      admin: (_c, w) => [
        {
          warn: `In HubSpot, go to ${hubspotAuthPage(w.app)} and click "Expire now" next to the old token. Until then it keeps working.`,
        },
      ],
      customer: () => ['There is nothing to do now.'],
      actions: {
        show: "See the app's state and its tokens:",
        history: 'See this and earlier rotations:',
      },
    },
  },
};

const COPY: Readonly<Record<Locale, LocaleCopy>> = { de: GERMAN, en: ENGLISH };

// ---------------------------------------------------------------------------------------------------------
// Times and durations.

const DAY_SECONDS = 86_400;
const UNIT_SECONDS: readonly (readonly [Unit, number])[] = [
  ['day', DAY_SECONDS],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

function ageInDays(context: NotificationContext): number {
  const issued = Date.parse(context.tokenIssuedAt ?? '');
  const now = Date.parse(context.occurredAt);
  return Number.isNaN(issued) || Number.isNaN(now)
    ? 0
    : Math.max(0, Math.floor((now - issued) / 1000 / DAY_SECONDS));
}

/** `2026-12-05 13:30 UTC` */
function utcTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const GMT_OFFSET = /^GMT[-+\u2212]/;

function zoneNameIn(intl: string, timeZone: string, date: Date): string {
  const parts = new Intl.DateTimeFormat(intl, { timeZone, timeZoneName: 'short' }).formatToParts(date);
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? timeZone;
}

/**
 * The zone's abbreviation where the locale has one (`MEZ`, `EST`), else its offset (`GMT-5`).
 * American English knows no European abbreviations, so English falls back to British English (`CET`).
 */
function zoneName(intl: string, timeZone: string, date: Date): string {
  const name = zoneNameIn(intl, timeZone, date);
  if (!GMT_OFFSET.test(name) || !intl.startsWith('en')) return name;
  const british = zoneNameIn('en-GB', timeZone, date);
  return GMT_OFFSET.test(british) ? name : british;
}

function wordsFor(context: NotificationContext, copy: LocaleCopy): Words {
  const numbers = new Intl.NumberFormat(copy.intl);
  let zoned: Intl.DateTimeFormat | undefined;
  try {
    zoned = new Intl.DateTimeFormat(copy.intl, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: context.timeZone,
    });
  } catch {
    zoned = undefined; // An unknown time zone: show UTC only rather than fail the notification.
  }
  const counted = (count: number, unit: Unit, form?: 'dative') => {
    const [one, other, dative] = copy.units[unit];
    return `${numbers.format(count)} ${count === 1 ? one : form === 'dative' ? dative : other}`;
  };
  return {
    app: context.appId,
    time: (iso) => {
      const date = new Date(iso ?? '');
      if (Number.isNaN(date.getTime())) return iso ?? '';
      if (!zoned) return utcTime(date);
      const local = zoned.format(date).replace(/[\u00a0\u202f]/g, ' ');
      return `${local} ${zoneName(copy.intl, context.timeZone, date)} (${utcTime(date)})`;
    },
    duration: (seconds, form) => {
      if (seconds === undefined) return '';
      const [unit, size] = UNIT_SECONDS.find(([, size]) => seconds >= size && seconds % size === 0) ?? [
        'second',
        1,
      ];
      return counted(seconds / size, unit, form);
    },
    times: (count) => copy.times(count, numbers.format(count)),
    days: (count) => counted(count, 'day'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The email's content, independent of HTML or text.

interface Action {
  readonly why: string;
  readonly command: string;
}

interface Content {
  readonly lang: Locale;
  readonly tone: string;
  readonly subject: string;
  readonly headline: string;
  readonly summary: readonly Block[];
  readonly nextHeading: string;
  readonly next: readonly Block[];
  readonly actions: readonly Action[];
  readonly detailsHeading: string;
  readonly facts: readonly (readonly [string, string])[];
  readonly importantLabel: string;
  readonly footer: string;
}

function startedByFact(context: NotificationContext, copy: LocaleCopy): string | undefined {
  if (context.audience === 'customer') return context.trigger && copy.customerTriggers[context.trigger];
  const trigger = context.trigger && copy.triggers[context.trigger];
  if (trigger && context.startedBy) return `${trigger}: ${context.startedBy}`;
  return (
    trigger ?? context.startedBy ?? (context.event === 'ROTATION_REMINDER' ? copy.dailyCheck : undefined)
  );
}

function eventFact(
  id: FactId,
  context: NotificationContext,
  copy: LocaleCopy,
  words: Words,
): string | undefined {
  const admin = context.audience === 'admin';
  switch (id) {
    case 'expiresAt':
    case 'expiredAt':
      return context.expiresAt && words.time(context.expiresAt);
    case 'usage': {
      const usage = context.oldTokenUsage;
      if (!usage || !admin) return undefined;
      if (usage.count === 0) return copy.noUsage;
      return copy.usageValue(words.times(usage.count), usage.lastUsedAt && words.time(usage.lastUsedAt));
    }
    case 'tokenIssuedAt':
      return context.tokenIssuedAt && words.time(context.tokenIssuedAt);
    case 'tokenAge':
      return context.tokenIssuedAt && words.days(ageInDays(context));
    case 'interval':
      return context.intervalSeconds ? words.duration(context.intervalSeconds) : undefined;
    case 'step':
      return admin ? context.failedStep : undefined;
    case 'failure':
      return admin ? context.failure : undefined;
    case 'hubId':
      return context.hubId === undefined ? undefined : String(context.hubId);
    case 'handoffDeadline':
      return context.handoffDeadline && words.time(context.handoffDeadline);
    case 'scopesAdded':
      return context.scopesAdded?.length ? context.scopesAdded.join(', ') : undefined;
    case 'scopesRemoved':
      return context.scopesRemoved?.length ? context.scopesRemoved.join(', ') : undefined;
  }
}

function contentOf(context: NotificationContext): Content {
  const copy = COPY[context.locale] ?? GERMAN;
  const event = copy.events[context.event];
  const words = wordsFor(context, copy);
  const { labels } = copy;
  const admin = context.audience === 'admin';
  const headline = event.subject(context, words);

  const mode =
    context.mode &&
    (context.mode === 'expire-later' && context.graceSeconds
      ? `${copy.modes[context.mode]} (${copy.graceOf(words.duration(context.graceSeconds))})`
      : copy.modes[context.mode]);
  const facts: [string, string | undefined][] = [
    [labels.app, context.appId],
    [labels.rotation, context.rotationId],
    [labels.mode, mode],
    [labels.startedBy, startedByFact(context, copy)],
    [labels.reason, admin ? context.reason : undefined],
    [labels.occurredAt, words.time(context.occurredAt)],
    ...EVENT_FACTS[context.event].map((id): [string, string | undefined] => [
      labels[id],
      eventFact(id, context, copy, words),
    ]),
  ];

  return {
    lang: context.locale,
    tone: EVENT_TONE[context.event],
    subject: `[Rotor] ${context.appId}: ${headline}`,
    headline,
    summary: event.summary(context, words),
    nextHeading: admin ? labels.nextSteps : labels.forYou,
    next: admin
      ? [
          ...event.admin(context, words),
          ...(context.issuer === 'hubspot' && event.hubspot ? event.hubspot(context, words) : []),
        ]
      : [...event.customer(context, words), copy.contactAdmins(context.appId)],
    actions: admin
      ? NEXT_ACTIONS[context.event].map((id) => ({
          why: event.actions[id] ?? '',
          command: COMMANDS[id](context.appId),
        }))
      : [],
    detailsHeading: labels.details,
    facts: facts.filter((fact): fact is [string, string] => Boolean(fact[1])),
    importantLabel: labels.important,
    // A stable, language-free tag for mail filters and tests.
    footer: `${copy.footer(context.appId)} Rotor event: ${context.event}`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Plain text.

function underline(title: string, char: string): string {
  return `${title}\n${char.repeat(title.length)}`;
}

function textBlock(block: Block, importantLabel: string): string {
  return typeof block === 'string' ? block : `${importantLabel}: ${block.warn}`;
}

function renderText(content: Content): string {
  const width = Math.max(...content.facts.map(([label]) => label.length)) + 1;
  const sections = [
    underline(content.headline, '='),
    ...content.summary.map((block) => textBlock(block, content.importantLabel)),
    underline(content.nextHeading, '-'),
    ...content.next.map((block) => textBlock(block, content.importantLabel)),
    ...content.actions.map((action) => `${action.why}\n    ${action.command}`),
    underline(content.detailsHeading, '-'),
    content.facts.map(([label, value]) => `  ${`${label}:`.padEnd(width + 1)} ${value}`).join('\n'),
    `-- \n${content.footer}`,
  ];
  return `${sections.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// HTML: one small self-contained document, inline CSS only, every value escaped.

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

const STYLE = {
  body: "margin:0;padding:24px 12px;background:#f4f5f7;color:#1f2933;line-height:1.5;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px",
  card: 'max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #d9dde3;border-radius:8px;overflow:hidden',
  bar: 'padding:12px 24px;color:#ffffff;font-size:13px;font-weight:600;letter-spacing:0.04em',
  main: 'padding:20px 24px 8px',
  h1: 'margin:0 0 16px;font-size:20px;line-height:1.3',
  h2: 'margin:24px 0 8px;font-size:16px',
  p: 'margin:0 0 12px',
  warn: 'margin:0 0 12px;padding:10px 14px;background:#fff7e6;border-left:4px solid #d97706',
  why: 'margin:0 0 4px',
  pre: 'margin:0 0 14px;padding:10px 12px;background:#f0f2f5;border:1px solid #e1e5ea;border-radius:4px;white-space:pre-wrap;word-break:break-all',
  code: "font-family:Menlo,Consolas,'Liberation Mono',monospace;font-size:13px",
  table: 'border-collapse:collapse;width:100%;font-size:14px;margin:0 0 12px',
  th: 'text-align:left;vertical-align:top;padding:4px 16px 4px 0;color:#52606d;font-weight:normal;white-space:nowrap',
  td: 'vertical-align:top;padding:4px 0;word-break:break-word',
  footer: 'padding:12px 24px;border-top:1px solid #e4e7eb;font-size:12px;color:#7b8794',
} as const;

function htmlBlock(block: Block, importantLabel: string): string {
  if (typeof block === 'string') return `<p style="${STYLE.p}">${escapeHtml(block)}</p>`;
  return `<div style="${STYLE.warn}"><strong>${escapeHtml(importantLabel)}:</strong> ${escapeHtml(block.warn)}</div>`;
}

function renderHtml(content: Content): string {
  const blocks = (list: readonly Block[]) => list.map((block) => htmlBlock(block, content.importantLabel));
  const actions = content.actions.map(
    (action) =>
      `<p style="${STYLE.why}">${escapeHtml(action.why)}</p>\n` +
      `<pre style="${STYLE.pre}"><code style="${STYLE.code}">${escapeHtml(action.command)}</code></pre>`,
  );
  const facts = content.facts.map(
    ([label, value]) =>
      `<tr><th scope="row" style="${STYLE.th}">${escapeHtml(label)}</th><td style="${STYLE.td}">${escapeHtml(value)}</td></tr>`,
  );
  return [
    '<!DOCTYPE html>',
    `<html lang="${content.lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(content.subject)}</title>`,
    '</head>',
    `<body style="${STYLE.body}">`,
    `<div style="${STYLE.card}">`,
    `<div style="${STYLE.bar};background:${content.tone}">ROTOR · ${escapeHtml(content.facts[0]?.[1] ?? '')}</div>`,
    `<div style="${STYLE.main}">`,
    `<h1 style="${STYLE.h1}">${escapeHtml(content.headline)}</h1>`,
    ...blocks(content.summary),
    `<h2 style="${STYLE.h2}">${escapeHtml(content.nextHeading)}</h2>`,
    ...blocks(content.next),
    ...actions,
    `<h2 style="${STYLE.h2}">${escapeHtml(content.detailsHeading)}</h2>`,
    `<table role="presentation" style="${STYLE.table}">`,
    ...facts,
    '</table>',
    '</div>',
    `<div style="${STYLE.footer}">${escapeHtml(content.footer)}</div>`,
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The exact `rotor` commands an admin can run next for this event; none for a customer contact,
 * who cannot run `rotor`.
 *
 * @example
 * nextActions({ event: 'ROTATION_INITIATED', audience: 'admin', appId: 'billing-sync', ... });
 * // ['rotor expire-now billing-sync', 'rotor cancel billing-sync']
 */
export function nextActions(context: NotificationContext): string[] {
  if (context.audience !== 'admin') return [];
  return NEXT_ACTIONS[context.event].map((id) => COMMANDS[id](context.appId));
}

/**
 * Renders one notification in the recipient's language: the subject (`[Rotor] <app>: …`), a plain-text
 * body and an HTML body with the same content. Each says what happened, who or what started it, every
 * time in the app's zone and in UTC, and what the reader can do next: the exact `rotor` commands for an
 * admin, what it means for them for a customer contact. Pure: no I/O, and never a token value, because
 * the context carries none. Every interpolated value is escaped in the HTML.
 *
 * @example
 * const email = renderEmail({
 *   event: 'ROTATION_INITIATED', locale: 'de', audience: 'admin', appId: 'billing-sync',
 *   timeZone: 'Europe/Berlin', occurredAt: '2026-12-05T13:30:00Z', expiresAt: '2026-12-12T13:30:00Z',
 * });
 * email.subject; // '[Rotor] billing-sync: Eine Token-Rotation wurde initiiert'
 */
export function renderEmail(context: NotificationContext): RenderedEmail {
  const content = contentOf(context);
  return { subject: content.subject, text: renderText(content), html: renderHtml(content) };
}
