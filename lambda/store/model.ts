import type { NotificationEvent, RotorEvent } from '../contract/notificationEvents.ts';
import type { WebhookKind } from '../contract/webhooks.ts';

/** The shapes Rotor keeps in DynamoDB and passes between tasks. Ids only, never token values. */

import type { Issuer, Locale, RotationMode, RotationPolicy } from '../contract/appSettings.ts';

/** ACTIVE: one valid token. ROTATING: a new token is being made (the lock). GRACE: old token still valid. */
export type AppState = 'ACTIVE' | 'ROTATING' | 'GRACE';

/** What the sweep needs to know of a due app to place it: from the `due` index and the app's item. */
export interface DueApp {
  readonly appId: string;
  /** When it fell due (the `due` index's sort key). */
  readonly dueAt: string;
  readonly state: AppState;
  /** The most people one of its emails goes to (SES's send rate counts recipients). */
  readonly recipients: number;
}

export type TokenStatus = 'pending' | 'current' | 'grace' | 'revoked';

/** Who started a rotation. */
export type RotationTrigger = 'operator' | 'schedule' | 'secrets-manager';

export interface Admin {
  readonly email: string;
  /** Overrides the app's locale for this recipient. */
  readonly locale?: Locale;
}

/** The rotation an app is in, kept on the app item so that every transition is one conditional write. */
export interface ActiveRotation {
  readonly rotationId: string;
  readonly mode: RotationMode;
  readonly graceSeconds: number;
  readonly trigger: RotationTrigger;
  readonly startedBy: string;
  readonly reason?: string;
  readonly startedAt: string;
  /** The Secrets Manager version that was AWSCURRENT when the rotation began. */
  readonly oldVersionId: string;
  /** The Secrets Manager version (ClientRequestToken) of the new token, once known. */
  readonly newVersionId?: string;
  /** When the old token stops being valid (GRACE only). */
  readonly expiresAt?: string;
  /** When the old token was issued, so that a cancelled rotation can restore the token's age. */
  readonly oldTokenIssuedAt?: string;
  /** The Step Functions execution that runs this rotation's lifecycle. */
  readonly executionArn?: string;
  /**
   * Set by the one write that commits the rotation to its new token, before AWSCURRENT moves to it.
   * From then on the rotation only goes forward: a rollback finishes the promotion instead.
   */
  readonly committedAt?: string;
  /** Set when an action has claimed the end of this rotation; the rotation is then no longer waiting. */
  readonly ending?: RotationEnding;
  /** Who claimed the ending (an IAM ARN, `rotor-workflow`, `rotor-sweep`), when, and the email it owes. */
  readonly endedBy?: string;
  readonly endingAt?: string;
  readonly endingEvent?: NotificationEvent;
  /** HubSpot: what HubSpot said when the ending was claimed. */
  readonly endingCheck?: HubSpotCheck;
  /** The operator request (a hash of its caller and Idempotency-Key) that claimed the ending, so its retry finds it done. */
  readonly endingRequest?: string;
  /** The waiting execution an operator's ending must stop (see AppRecord.pendingStops). */
  readonly endingStop?: string;
  /** When the 24-hour notice of this grace period was queued (by the workflow or the sweep). */
  readonly noticedAt?: string;
  /**
   * How long before `expiresAt` the pre-expiry notice (TOKEN_EXPIRES_IN_24H) goes out: the app's
   * `noticeBeforeSeconds` when the rotation started, so a later change of the setting leaves it alone.
   * Absent on a rotation started before the setting existed: 24 hours.
   */
  readonly noticeSeconds?: number;
  /** The step that failed, as the rotation hook recorded it. */
  readonly failure?: StepFailure;
  /** HubSpot: the Step Functions task token of the workflow waiting for the new token (not a HubSpot token). */
  readonly handoffTaskToken?: string;
  /** HubSpot: what was handed over, once `rotor submit` was accepted. */
  readonly handoff?: Handoff;
  /** HubSpot: how many reminders of the handoff went out. */
  readonly handoffReminders?: number;
}

/** A HubSpot token accepted by `rotor submit`: who handed it over, and how its scopes differ from the old one's. */
export interface Handoff {
  readonly submittedBy: string;
  readonly submittedAt: string;
  readonly scopes: readonly string[];
  readonly scopesAdded: readonly string[];
  readonly scopesRemoved: readonly string[];
}

/** What HubSpot said when Rotor asked whether it still accepts a token it should have ended. */
export interface HubSpotCheck {
  /** Which token was asked about: the old one (expiry, expire now) or the new one (cancel). */
  readonly token: 'old' | 'new';
  /** `refused`: HubSpot agrees; `accepted`: HubSpot still takes it; `unknown`: HubSpot did not answer. */
  readonly verdict: 'refused' | 'accepted' | 'unknown';
  readonly at: string;
}

/** The settings of an app whose tokens HubSpot issues (a private app or service key). */
export interface HubSpotSettings {
  /** The HubSpot portal (hub id) the app's tokens must belong to. */
  readonly hubId: number;
  /** Scopes a new token must have; one without them is refused. */
  readonly requiredScopes: readonly string[];
  /** HubSpot's API base URL (a local fake in tests and local mode). */
  readonly apiUrl: string;
  /** The scopes of the current token, as HubSpot reported them. */
  readonly scopes: readonly string[];
  /** How long a rotation waits for the new token before it gives up. */
  readonly handoffTimeoutSeconds: number;
}

/** How a rotation is being ended: its grace period expired (or expire-now), it was cancelled, or it failed. */
export type RotationEnding = 'expire' | 'cancel' | 'rollback';

export interface StepFailure {
  readonly step: string;
  readonly message: string;
  readonly at: string;
}

export interface LastRotation {
  readonly rotationId: string;
  readonly outcome: 'completed' | 'cancelled' | 'failed' | 'in-grace';
  readonly at: string;
  /** For a failed rotation: the step that failed. */
  readonly failedStep?: string;
}

export interface AppRecord {
  readonly appId: string;
  readonly secretArn: string;
  readonly issuer: Issuer;
  readonly admins: readonly Admin[];
  readonly customers: readonly string[];
  readonly locale: Locale;
  readonly timeZone: string;
  readonly intervalSeconds: number;
  readonly graceSeconds: number;
  readonly reminderRepeatSeconds: number;
  readonly policy: RotationPolicy;
  /** The mode of rotations that Secrets Manager starts by itself or the sweep starts. */
  readonly defaultMode: RotationMode;
  readonly state: AppState;
  readonly currentVersionId: string;
  readonly tokenIssuedAt: string;
  readonly activeRotation?: ActiveRotation;
  readonly lastRotation?: LastRotation;
  /** Issuer hubspot: the portal, scopes and API of its tokens. */
  readonly hubspot?: HubSpotSettings;
  /** When the last ROTATION_REMINDER went out (policy remind). */
  readonly lastReminderAt?: string;
  /** The app's webhooks by id: their kind and secret, never their URL (that is in the secret). */
  readonly webhooks?: Readonly<Record<string, WebhookRef>>;
  /**
   * How long before the token becomes due the admins get ROTATION_DUE_SOON, longest first; `[]` for none.
   * Absent on an app registered before the setting existed: 30 and 7 days (those shorter than the interval).
   */
  readonly remindBeforeSeconds?: readonly number[];
  /** How long before a grace period ends the pre-expiry notice goes out. Absent: 24 hours. */
  readonly noticeBeforeSeconds?: number;
  /**
   * The before-due reminder last queued: for which due date and how long before it. Each reminder goes
   * out once per due date; a new token (a new due date) gets them all again.
   */
  readonly dueSoonReminder?: DueSoonReminder;
  /**
   * The emails this app still owes, keyed by {@link noticeId}. Each is queued by the same conditional
   * write as the change of state that causes it, and leaves only once every recipient is settled, so
   * a crash between the change and the email never loses the email (the sweep delivers what is left).
   */
  readonly outbox?: Readonly<Record<string, PendingNotice>>;
  /**
   * Executions still to stop, by rotation id: the waiting execution of a rotation an operator ended.
   * The ending's completing write records it; it leaves once StopExecution succeeded (the operator's
   * call right after, or the sweep when that failed), so a rotation ended early never leaves its
   * execution waiting beside the next one.
   */
  readonly pendingStops?: Readonly<Record<string, PendingStop>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * One webhook of an app, as the registry knows it: the URL and the signing secret are in the Secrets
 * Manager secret `secretArn` only, since a Slack or Teams URL is itself the credential to post.
 */
export interface WebhookRef {
  readonly webhookId: string;
  readonly kind: WebhookKind;
  /** The URL's host, to tell webhooks apart in `rotor apps show` without showing the URL. */
  readonly host: string;
  readonly secretArn: string;
  readonly addedAt: string;
  readonly addedBy: string;
}

/** A before-due reminder: the token becomes due at `dueAt`, and this is the one `beforeSeconds` before it. */
export interface DueSoonReminder {
  readonly dueAt: string;
  readonly beforeSeconds: number;
}

/** An email the app owes: which event, for which rotation (a reminder has none), queued when. */
export interface PendingNotice {
  /** An email's step, or a step that only goes to other systems (ROTATION_STARTED). */
  readonly event: RotorEvent;
  readonly rotationId?: string;
  /** Sets one sending apart from the others of its rotation and event (the daily handoff reminders). */
  readonly occasion?: string;
  /** ROTATION_DUE_SOON: which due date and which of its reminders. */
  readonly dueSoon?: DueSoonReminder;
  readonly at: string;
}

/** An execution to stop, and since when. */
export interface PendingStop {
  readonly executionArn: string;
  readonly at: string;
}

/** The outbox key of a notice: one per rotation (or reminder day), event and occasion. */
export function noticeId(notice: Omit<PendingNotice, 'at'>): string {
  return [notice.rotationId ?? 'app', notice.event, notice.occasion ?? '']
    .join('~')
    .replace(/[^A-Za-z0-9_~#:.-]/g, '_');
}

export type RotationStatus = 'rotating' | 'grace' | 'completed' | 'cancelled' | 'failed';

/** One rotation in an app's history. */
export interface RotationRecord extends ActiveRotation {
  readonly appId: string;
  readonly status: RotationStatus;
  readonly finishedAt?: string;
  /** Who ended it: an IAM ARN for expire-now and cancel, `rotor-workflow` when the grace period ran out. */
  readonly endedBy?: string;
  readonly failedStep?: string;
  /** HubSpot: whether HubSpot agreed when the rotation ended (old token refused, or new one after a cancel). */
  readonly hubspotCheck?: HubSpotCheck;
}

/**
 * One version of a managed token: only its hash is kept. Its uses are counted per hour beside it
 * (`registry.tokens.recordTokenUse`, `registry.tokens.tokenUsage`).
 */
export interface TokenVersionRecord {
  readonly appId: string;
  readonly versionId: string;
  readonly tokenHash: string;
  readonly status: TokenStatus;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

export interface AuditEvent {
  readonly at: string;
  readonly eventId: string;
  readonly appId: string;
  readonly action: string;
  readonly actor: string;
  readonly outcome: 'succeeded' | 'refused' | 'failed';
  readonly rotationId?: string;
  readonly detail?: string;
}
