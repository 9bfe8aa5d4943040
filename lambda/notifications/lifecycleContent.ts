import type { Locale } from '../contract/appSettings.ts';
import type { LifecycleEvent } from '../contract/notificationEvents.ts';
import type { RotorEventDetail } from '../contract/rotorEvents.ts';
import { GERMAN } from './copy/de.ts';
import { ENGLISH } from './copy/en.ts';
import type { Content } from './emailLayout.ts';

type Detail<E extends LifecycleEvent> = Extract<RotorEventDetail, { event: E }>;

/** The words of the steps no one is emailed about, as chat messages say them. */
interface LifecycleWords {
  readonly headline: Record<LifecycleEvent, string>;
  readonly started: (detail: Detail<'ROTATION_STARTED'>, mode: string) => string;
  readonly registered: (detail: Detail<'APP_REGISTERED'>) => string;
  readonly removed: (detail: Detail<'APP_REMOVED'>) => string;
  readonly stuck: string;
  readonly repaired: Record<Detail<'APP_REPAIRED'>['repair'], string>;
  readonly show: string;
}

const WORDS: Readonly<Record<Locale, LifecycleWords>> = {
  de: {
    headline: {
      ROTATION_STARTED: 'Eine Rotation hat begonnen',
      APP_REGISTERED: 'Die App ist bei Rotor registriert',
      APP_REMOVED: 'Die App wurde aus Rotor entfernt',
      APP_STUCK: 'Die App hängt',
      APP_REPAIRED: 'Rotor hat die App repariert',
    },
    started: (d, mode) =>
      `Rotation ${d.rotationId} (${mode}) wurde von ${d.startedBy} gestartet. Rotor meldet sich wieder, sobald das neue Token gilt.`,
    registered: (d) =>
      `${d.registeredBy} hat die App registriert (Secret ${d.secretArn}). Fällig ist ein Token nach ${Math.round(d.intervalSeconds / 86_400)} Tagen, Regel "${d.policy}".`,
    removed: (d) =>
      `${d.removedBy} hat die App entfernt. Ihr Secret ${d.secretArn} bleibt, ebenso das aktuelle Token.`,
    stuck:
      'Eine unterbrochene Aktion hat die App unfertig zurückgelassen. Die tägliche Prüfung repariert sie jetzt:',
    repaired: {
      finished: 'Rotor hat ein unterbrochenes Beenden der Rotation zu Ende geführt.',
      expired:
        'Die Schonfrist war abgelaufen, das alte Token aber nicht: Rotor hat es jetzt ablaufen lassen.',
      'rolled-back':
        'Die Rotation ist nicht fertig geworden: Rotor hat sie zurückgerollt, das alte Token gilt weiter.',
      'workflow-started': 'Der Ablauf der Rotation fehlte: Rotor hat ihn neu gestartet.',
      'workflow-stopped': 'Rotor hat den Ablauf einer beendeten Rotation angehalten.',
      delivered: 'Rotor hat die noch offenen Benachrichtigungen verschickt.',
    },
    show: 'Zustand der App ansehen:',
  },
  en: {
    headline: {
      ROTATION_STARTED: 'A rotation started',
      APP_REGISTERED: 'The app is registered with Rotor',
      APP_REMOVED: 'The app was removed from Rotor',
      APP_STUCK: 'The app is stuck',
      APP_REPAIRED: 'Rotor repaired the app',
    },
    started: (d, mode) =>
      `${d.startedBy} started rotation ${d.rotationId} (${mode}). Rotor reports again once the new token is current.`,
    registered: (d) =>
      `${d.registeredBy} registered the app (secret ${d.secretArn}). A token is due after ${Math.round(d.intervalSeconds / 86_400)} days, policy "${d.policy}".`,
    removed: (d) =>
      `${d.removedBy} removed the app. Its secret ${d.secretArn} stays, and so does its current token.`,
    stuck: 'An interrupted action left the app unfinished. The daily sweep repairs it now:',
    repaired: {
      finished: "Rotor finished an interrupted ending of the app's rotation.",
      expired: 'The grace period had ended but the old token had not expired: Rotor expired it now.',
      'rolled-back': 'The rotation did not finish: Rotor rolled it back, and the old token stays current.',
      'workflow-started': "The rotation's workflow was gone: Rotor started it again.",
      'workflow-stopped': 'Rotor stopped the workflow of a rotation that had ended.',
      delivered: 'Rotor sent the notifications the app still owed.',
    },
    show: "See the app's state:",
  },
};

function summaryOf(detail: RotorEventDetail, words: LifecycleWords, locale: Locale): string[] {
  const copy = locale === 'en' ? ENGLISH : GERMAN;
  switch (detail.event) {
    case 'ROTATION_STARTED':
      return [words.started(detail, copy.modes[detail.mode])];
    case 'APP_REGISTERED':
      return [words.registered(detail)];
    case 'APP_REMOVED':
      return [words.removed(detail)];
    case 'APP_STUCK':
      return [words.stuck, ...detail.problems.map((problem) => `• ${problem}`)];
    case 'APP_REPAIRED':
      return [words.repaired[detail.repair]];
    default:
      return [];
  }
}

/**
 * What a step no one is emailed about says in a chat message, in the app's language: the headline,
 * what happened, `rotor apps show` as the next command, and the ids and time.
 */
export function lifecycleContent(
  event: LifecycleEvent,
  detail: RotorEventDetail,
  app: { readonly appId: string; readonly locale: Locale },
): Content {
  const copy = app.locale === 'en' ? ENGLISH : GERMAN;
  const words = WORDS[app.locale] ?? WORDS.de;
  const headline = words.headline[event];
  const rotationId = 'rotationId' in detail ? detail.rotationId : undefined;
  return {
    lang: app.locale,
    tone: event === 'APP_STUCK' ? '#b45309' : '#1d4ed8',
    subject: `[Rotor] ${app.appId}: ${headline}`,
    headline,
    summary: summaryOf(detail, words, app.locale),
    nextHeading: copy.labels.nextSteps,
    next: [],
    actions: event === 'APP_REMOVED' ? [] : [{ why: words.show, command: `rotor apps show ${app.appId}` }],
    buttons: [],
    detailsHeading: copy.labels.details,
    facts: [
      [copy.labels.app, app.appId],
      ...(rotationId ? ([[copy.labels.rotation, rotationId]] as [string, string][]) : []),
      [copy.labels.occurredAt, detail.occurredAt],
    ],
    importantLabel: copy.labels.important,
    footer: `${copy.footer(app.appId)} Rotor event: ${event}`,
  };
}
