import { ageInDays, daysUntilDue, noticeLeftSeconds } from '../emailWords.ts';
import { hubspotAuthPage, type LocaleCopy, scopeChanges, type UsageCopy, usageBlocks } from './localeCopy.ts';

/** What the old token's use in the last 24 hours means, in German. */
const GERMAN_USAGE: UsageCopy = {
  unused: 'Das alte Token wurde in den letzten 24 Stunden nicht verwendet. Der Ablauf sollte nichts stören.',
  used: (times, last) =>
    `Das alte Token wurde in den letzten 24 Stunden noch ${times} verwendet${last ? `, zuletzt am ${last}` : ''}. ` +
    'Diese Aufrufer scheitern nach dem Ablauf: Stellen Sie sie auf das neue Token um oder brechen Sie die Rotation ab.',
};

/** Every email's words in German. */
export const GERMAN: LocaleCopy = {
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
    dueAt: 'Fällig am',
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
  buttons: {
    'expire-now': 'Altes Token jetzt ablaufen lassen',
    cancel: 'Rotation abbrechen',
    submit: 'Neues Token übergeben',
    rotate: 'Jetzt rotieren',
    open: 'In Rotor öffnen',
  },
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
      subject: (c, w) => `Das alte Token läuft in ${w.timeLeft(noticeLeftSeconds(c), 'dative')} ab`,
      summary: (c, w) => [
        `Das alte Token von ${w.app} läuft ${c.expiresAt ? `am ${w.time(c.expiresAt)}` : `in ${w.timeLeft(noticeLeftSeconds(c), 'dative')}`} ab. ` +
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
    ROTATION_DUE_SOON: {
      subject: (c, w) => `Token-Rotation in ${w.duration(daysUntilDue(c) * 86_400, 'dative')} fällig`,
      summary: (c, w) => [
        `Das Token von ${w.app} ` +
          (c.tokenIssuedAt ? `wurde am ${w.time(c.tokenIssuedAt)} ausgestellt und ` : '') +
          `ist ${c.dueAt ? `am ${w.time(c.dueAt)}` : `in ${w.duration(daysUntilDue(c) * 86_400, 'dative')}`} ` +
          `so alt wie das Rotationsintervall der App${c.intervalSeconds ? ` (${w.duration(c.intervalSeconds)})` : ''}: ` +
          'Dann ist die Rotation fällig.',
      ],
      admin: (c, w) =>
        c.policy === 'auto'
          ? [
              'An diesem Tag startet Rotor selbst eine Rotation mit „später ablaufen lassen“: Das neue Token wird aktuell, ' +
                `das alte bleibt ${c.graceSeconds ? `noch ${w.duration(c.graceSeconds)} ` : 'für die Übergangsfrist '}gültig, ` +
                'und Sie erhalten zu jedem Schritt eine E-Mail. Passt Ihnen ein früherer Zeitpunkt besser, rotieren Sie schon vorher.',
            ]
          : [
              'Bitte rotieren Sie das Token bis dahin. „Später ablaufen lassen“ hält das alte Token für die Übergangsfrist gültig, ' +
                'damit Dienste umstellen können. Ist es am Fälligkeitstag nicht rotiert, erinnert Rotor Sie regelmäßig.',
            ],
      customer: () => ['Im Moment ist nichts zu tun. Sie werden informiert, wenn das Token ersetzt wird.'],
      actions: {
        'rotate-later': 'Jetzt rotieren; das alte Token bleibt für die Übergangsfrist gültig (empfohlen):',
        'rotate-now': 'Rotieren und das alte Token sofort ungültig machen:',
      },
      hubspot: (c, w) => [
        `Eine HubSpot-App rotieren Sie in HubSpot (${hubspotAuthPage(w.app)} > Rotate) und übergeben das neue Token an Rotor` +
          (c.policy === 'auto'
            ? '; am Fälligkeitstag bittet Rotor Sie per E-Mail darum.'
            : '; eine Rotation mit dem Befehl unten schickt Ihnen die Schritte.'),
      ],
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
