import type { Issuer, Locale, RotationMode, RotationPolicy } from './appSettings.ts';

/**
 * What the operator API answers about apps, rotations, token versions and the audit, and what the CLI
 * reads: ids, states and times in seconds and ISO-8601, never a token value or hash. The handler
 * makes them from the registry's records (`lambda/operator-api/views.ts`), so the compiler checks that
 * every record still fits its view.
 */

/** ACTIVE: one valid token. ROTATING: a new token is being made. GRACE: the old token is still valid. */
export type AppStateView = 'ACTIVE' | 'ROTATING' | 'GRACE';

export type TokenStatusView = 'pending' | 'current' | 'grace' | 'revoked';

export type RotationStatusView = 'rotating' | 'grace' | 'completed' | 'cancelled' | 'failed';

/** Who started a rotation. */
export type RotationTriggerView = 'operator' | 'schedule' | 'secrets-manager';

export interface AdminView {
  readonly email: string;
  /** Overrides the app's locale for this recipient. */
  readonly locale?: Locale;
}

export interface LastRotationView {
  readonly rotationId: string;
  readonly outcome: 'completed' | 'cancelled' | 'failed' | 'in-grace';
  readonly at: string;
  /** For a failed rotation: the step that failed. */
  readonly failedStep?: string;
}

/** One entry of the audit log (`GET /audit`). */
export interface AuditEventView {
  readonly at: string;
  readonly eventId: string;
  readonly appId: string;
  readonly action: string;
  readonly actor: string;
  readonly outcome: 'succeeded' | 'refused' | 'failed';
  readonly rotationId?: string;
  readonly detail?: string;
}

export interface TokenVersionView {
  readonly versionId: string;
  readonly status: TokenStatusView;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  /** When a service last presented it to Rotor's verifier, if ever. */
  readonly lastUsedAt?: string;
  /** How often Rotor's verifier accepted it in the last 24 hours (counted, at most a minute behind). */
  readonly usesLast24h?: number;
}

export interface AppSummaryView {
  readonly appId: string;
  readonly issuer: Issuer;
  readonly state: AppStateView;
  readonly policy: RotationPolicy;
  readonly tokenIssuedAt: string;
  readonly tokenAgeSeconds: number;
  /** When the token is older than the app's interval (the sweep then rotates or reminds). */
  readonly nextDueAt: string;
  /** During a grace period: when the old token expires. */
  readonly graceEndsAt?: string;
  readonly rotationId?: string;
  readonly lastRotation?: LastRotationView;
}

/** One webhook of an app, as the API shows it. */
export interface WebhookView {
  readonly webhookId: string;
  readonly kind: string;
  readonly host: string;
  readonly secretArn: string;
  readonly addedAt: string;
  readonly addedBy: string;
}

export interface AppView extends AppSummaryView {
  readonly secretArn: string;
  /** Issuer hubspot: the portal, the current token's scopes, the required ones, the handoff timeout. */
  readonly hubspot?: {
    readonly hubId: number;
    readonly scopes: readonly string[];
    readonly requiredScopes: readonly string[];
    readonly handoffTimeoutSeconds: number;
  };
  readonly admins: readonly AdminView[];
  readonly customers: readonly string[];
  readonly locale: Locale;
  readonly timeZone: string;
  readonly intervalSeconds: number;
  readonly graceSeconds: number;
  readonly reminderRepeatSeconds: number;
  /** How long before the due date the admins are reminded (ROTATION_DUE_SOON), longest first; `[]`: never. */
  readonly remindBeforeSeconds: readonly number[];
  /** How long before a grace period ends the pre-expiry notice goes out (from the next rotation on). */
  readonly noticeBeforeSeconds: number;
  readonly defaultMode: RotationMode;
  readonly currentVersionId: string;
  readonly lastReminderAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The rotation in progress, if any. */
  readonly rotation?: {
    readonly rotationId: string;
    readonly mode: string;
    readonly trigger: string;
    readonly startedBy: string;
    readonly startedAt: string;
    readonly reason?: string;
    readonly graceSeconds: number;
    readonly expiresAt?: string;
    /** Seconds until the old token expires (GRACE only). */
    readonly graceRemainingSeconds?: number;
    readonly ending?: string;
    /** The token being replaced; in GRACE it is still valid until `expiresAt`. */
    readonly oldToken?: TokenVersionView;
  };
  /** What an interrupted action left unfinished on the app, and what will finish it (none: nothing is stuck). */
  readonly stuck?: readonly { readonly problem: string; readonly next: string }[];
  /** The app's webhooks: kind, host and the secret that holds URL and signing secret (never the URL). */
  readonly webhooks?: readonly WebhookView[];
  /** `rotor apps show`: the app's emails SES refused for good, newest first (no one else is told). */
  readonly undeliveredEmails?: readonly UndeliveredEmailView[];
}

/** An email SES refused for good (a 4xx: rejected, unverified sender or, in the sandbox, recipient). */
export interface UndeliveredEmailView {
  readonly event: string;
  readonly recipient: string;
  /** When SES refused it. */
  readonly at: string;
  /** SES's error name and message. */
  readonly reason: string;
  readonly rotationId?: string;
}

export interface RotationView {
  readonly appId: string;
  readonly rotationId: string;
  readonly status: RotationStatusView;
  readonly mode: RotationMode;
  readonly trigger: RotationTriggerView;
  readonly startedBy: string;
  readonly startedAt: string;
  readonly reason?: string;
  readonly graceSeconds: number;
  readonly expiresAt?: string;
  readonly finishedAt?: string;
  readonly endedBy?: string;
  readonly failedStep?: string;
  readonly failure?: string;
  readonly oldVersionId: string;
  readonly newVersionId?: string;
  readonly executionArn?: string;
}
