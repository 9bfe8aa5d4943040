import type { RotationMode } from '../../contract/appSettings.ts';
import type { LinkAction } from '../../contract/console.ts';
import type { NotificationEvent } from '../../contract/notificationEvents.ts';
import type { RotationTrigger } from '../../store/model.ts';
import type { NotificationContext } from '../events.ts';

// What one language's copy of the emails provides, and the pieces both languages share.

/** What an admin can do next; the commands are the same in every language. */
export type ActionId =
  | 'expire-now'
  | 'cancel'
  | 'show'
  | 'history'
  | 'rotate-later'
  | 'rotate-now'
  | 'submit';

/** A paragraph, or one the reader must not miss. */
export type Block = string | { readonly warn: string };

/** Values already written for the reader's locale and the app's time zone. */
export interface Words {
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
  /**
   * A time left, rounded as people say it: minutes under an hour, hours under two days (`24 Stunden`),
   * else days (`3 days`); `dative` gives `24 Stunden` / `3 Tagen` in German.
   */
  timeLeft(seconds: number, form?: 'dative'): string;
}

export type Text<T> = (context: NotificationContext, words: Words) => T;

export interface EventCopy {
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

export type Unit = 'day' | 'hour' | 'minute' | 'second';

export interface LocaleCopy {
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
    dueAt: string;
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
  /** The labels of the emails' buttons, which open the Rotor Console. */
  readonly buttons: Readonly<Record<LinkAction | 'open', string>>;
  readonly events: Readonly<Record<NotificationEvent, EventCopy>>;
}

export function usageBlocks(context: NotificationContext, words: Words, copy: UsageCopy): Block[] {
  const usage = context.oldTokenUsage;
  if (!usage) return [];
  if (usage.count === 0) return [copy.unused];
  return [{ warn: copy.used(words.times(usage.count), usage.lastUsedAt && words.time(usage.lastUsedAt)) }];
}

export interface UsageCopy {
  readonly unused: string;
  readonly used: (times: string, lastUsed: string | undefined) => string;
}

/** Where a HubSpot private app's token is rotated, in HubSpot's (English) menu names. */
export const hubspotAuthPage = (app: string) => `Development > Legacy apps > ${app} > Auth`;

export function scopeChanges(c: NotificationContext, none: string, added: string, removed: string): string {
  const parts = [
    c.scopesAdded?.length ? `${added}: ${c.scopesAdded.join(', ')}` : '',
    c.scopesRemoved?.length ? `${removed}: ${c.scopesRemoved.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join('; ')}.` : none;
}
