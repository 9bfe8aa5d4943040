import type { Issuer, Locale, RotationMode, RotationPolicy } from '../contract/appSettings.ts';
import type { LinkAction } from '../contract/console.ts';
import type { NotificationEvent } from '../contract/notificationEvents.ts';
import type { HubSpotCheck, RotationTrigger } from '../store/model.ts';

/** The buttons an admin's email carries for its next step, each a single-use link to a confirm page. */
export const BUTTON_ACTIONS: Readonly<Record<NotificationEvent, readonly LinkAction[]>> = {
  ROTATION_INITIATED: ['expire-now', 'cancel'],
  TOKEN_EXPIRES_IN_24H: ['expire-now', 'cancel'],
  HANDOFF_REQUESTED: ['submit'],
  HANDOFF_REMINDER: ['submit'],
  ROTATION_REMINDER: ['rotate'],
  ROTATION_DUE_SOON: ['rotate'],
  ROTATION_CANCELLED: [],
  TOKEN_INVALIDATED: [],
  ROTATION_COMPLETED: [],
  ROTATION_FAILED: [],
  HUBSPOT_TOKEN_STILL_VALID: [],
};

/** A button of an email: what it opens and the console URL that opens it. */
export interface EmailButton {
  readonly action: LinkAction | 'open';
  readonly url: string;
}

/** Customer contacts are told only of these. */
export const CUSTOMER_EVENTS: readonly NotificationEvent[] = [
  'ROTATION_INITIATED',
  'TOKEN_INVALIDATED',
  'ROTATION_COMPLETED',
];

/** Who reads an email: the app's admins (who can run `rotor`) or its customer contacts (who cannot). */
export type NotificationAudience = 'admin' | 'customer';

/** Use of the old token in the 24 hours before a TOKEN_EXPIRES_IN_24H notice. */
export interface OldTokenUsage {
  /** How many calls the old token made. */
  readonly count: number;
  /** ISO time of its last use, when known. */
  readonly lastUsedAt?: string;
}

/**
 * Everything one email is rendered from: ids, times and free text, never a token value.
 * Optional members are left out when they do not apply; the email then says nothing about them.
 */
export interface NotificationContext {
  readonly event: NotificationEvent;
  /** The recipient's language. */
  readonly locale: Locale;
  readonly audience: NotificationAudience;
  /** The app's id, which is also its display name. */
  readonly appId: string;
  /** The app's IANA time zone, e.g. `Europe/Berlin`; every time is shown in it and in UTC. */
  readonly timeZone: string;
  /** ISO time when the event happened. */
  readonly occurredAt: string;
  readonly rotationId?: string;
  readonly mode?: RotationMode;
  readonly trigger?: RotationTrigger;
  /** Who started the rotation: an IAM ARN, `secretsmanager.amazonaws.com`, `rotor-schedule`. */
  readonly startedBy?: string;
  /** Free text from the operator; escaped in HTML. */
  readonly reason?: string;
  /** ISO time when the old token expires (INITIATED, EXPIRES_IN_24H, COMPLETED). */
  readonly expiresAt?: string;
  /** The rotation's grace period. */
  readonly graceSeconds?: number;
  /** REMINDER: ISO time when the current token was issued. */
  readonly tokenIssuedAt?: string;
  /** REMINDER: the app's rotation interval. */
  readonly intervalSeconds?: number;
  /** DUE_SOON: ISO time when the token becomes due (as old as the interval). */
  readonly dueAt?: string;
  /** DUE_SOON: what the sweep does on the due date (auto: rotate; remind: remind the admins). */
  readonly policy?: RotationPolicy;
  /** EXPIRES_IN_24H: how long before the expiry the rotation's notice is due (its notice time). */
  readonly noticeSeconds?: number;
  /** FAILED: the step that failed, e.g. `testSecret`. */
  readonly failedStep?: string;
  /** FAILED: the one-line error, free of token values. */
  readonly failure?: string;
  /** The app's issuer: the emails of a hubspot app say what to click in HubSpot. */
  readonly issuer?: Issuer;
  /** HubSpot: the portal (hub id) of the app. */
  readonly hubId?: number;
  /** INITIATED (HubSpot): scopes the new token has that the old one had not. */
  readonly scopesAdded?: readonly string[];
  /** INITIATED (HubSpot): scopes the old token had that the new one has not. */
  readonly scopesRemoved?: readonly string[];
  /** HANDOFF_*: ISO time when Rotor stops waiting for the new token. */
  readonly handoffDeadline?: string;
  /** What HubSpot said when Rotor asked about the ended token (expiry, expire now, cancel). */
  readonly hubspotCheck?: HubSpotCheck;
  /** EXPIRES_IN_24H: use of the old token in the last 24 hours, when known. */
  readonly oldTokenUsage?: OldTokenUsage;
  /** The console's buttons (admins only): the email's actions first, then "Open in Rotor". */
  readonly buttons?: readonly EmailButton[];
}
