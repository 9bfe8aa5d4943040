import type { Locale } from '../contract/appSettings.ts';
import type { NotificationEvent } from '../contract/notificationEvents.ts';
import { GERMAN } from './copy/de.ts';
import { ENGLISH } from './copy/en.ts';
import type { ActionId, LocaleCopy, Words } from './copy/localeCopy.ts';
import { type Content, renderHtml, renderText } from './emailLayout.ts';
import { ageInDays, wordsFor } from './emailWords.ts';
import type { NotificationContext } from './events.ts';

/** One email, ready for SES: the subject, a plain-text body and an HTML body with the same content. */
export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

// ---------------------------------------------------------------------------------------------------------
// What an admin can do next: the same commands in every language.

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
  ROTATION_DUE_SOON: ['rotate-later', 'rotate-now'],
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
  | 'dueAt'
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
  ROTATION_DUE_SOON: ['dueAt', 'tokenIssuedAt', 'interval'],
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
  ROTATION_DUE_SOON: '#1d4ed8',
  ROTATION_FAILED: '#b91c1c',
  HANDOFF_REQUESTED: '#1d4ed8',
  HANDOFF_REMINDER: '#b45309',
  HUBSPOT_TOKEN_STILL_VALID: '#b91c1c',
};

// ---------------------------------------------------------------------------------------------------------
// The words, per locale and per event.

const COPY: Readonly<Record<Locale, LocaleCopy>> = { de: GERMAN, en: ENGLISH };

function startedByFact(context: NotificationContext, copy: LocaleCopy): string | undefined {
  if (context.audience === 'customer') return context.trigger && copy.customerTriggers[context.trigger];
  const trigger = context.trigger && copy.triggers[context.trigger];
  if (trigger && context.startedBy) return `${trigger}: ${context.startedBy}`;
  return (
    trigger ??
    context.startedBy ??
    (context.event === 'ROTATION_REMINDER' || context.event === 'ROTATION_DUE_SOON'
      ? copy.dailyCheck
      : undefined)
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
    case 'dueAt':
      return context.dueAt && words.time(context.dueAt);
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

/** What one notification says, in the reader's language: the words both emails and chat messages are made of. */
export function notificationContent(context: NotificationContext): Content {
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
    buttons: admin
      ? (context.buttons ?? []).map((button) => ({
          label: copy.buttons[button.action],
          url: button.url,
          primary: button.action !== 'open',
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
  const content = notificationContent(context);
  return { subject: content.subject, text: renderText(content), html: renderHtml(content) };
}
