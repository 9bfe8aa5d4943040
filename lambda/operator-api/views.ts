import type { AppRecord, AuditEvent, RotationRecord, TokenVersionRecord } from '../shared/model.ts';

/**
 * What the operator API answers about apps, rotations and token versions: ids, states and times in
 * seconds and ISO-8601, never a token value or hash.
 */

export interface TokenVersionView {
  readonly versionId: string;
  readonly status: TokenVersionRecord['status'];
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
  readonly issuer: AppRecord['issuer'];
  readonly state: AppRecord['state'];
  readonly policy: AppRecord['policy'];
  readonly tokenIssuedAt: string;
  readonly tokenAgeSeconds: number;
  /** When the token is older than the app's interval (the sweep then rotates or reminds). */
  readonly nextDueAt: string;
  /** During a grace period: when the old token expires. */
  readonly graceEndsAt?: string;
  readonly rotationId?: string;
  readonly lastRotation?: AppRecord['lastRotation'];
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
  readonly admins: AppRecord['admins'];
  readonly customers: AppRecord['customers'];
  readonly locale: AppRecord['locale'];
  readonly timeZone: string;
  readonly intervalSeconds: number;
  readonly graceSeconds: number;
  readonly reminderRepeatSeconds: number;
  readonly defaultMode: AppRecord['defaultMode'];
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
}

export interface RotationView {
  readonly appId: string;
  readonly rotationId: string;
  readonly status: RotationRecord['status'];
  readonly mode: RotationRecord['mode'];
  readonly trigger: RotationRecord['trigger'];
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

const secondsBetween = (from: string, to: Date) =>
  Math.max(0, Math.floor((to.getTime() - Date.parse(from)) / 1000));

/** A token version, with its uses in the last 24 hours when they were counted for it. */
export function tokenVersionView(version: TokenVersionRecord, usage?: TokenUsage): TokenVersionView {
  return {
    versionId: version.versionId,
    status: version.status,
    createdAt: version.createdAt,
    ...(version.expiresAt ? { expiresAt: version.expiresAt } : {}),
    ...(version.revokedAt ? { revokedAt: version.revokedAt } : {}),
    ...(usage ? { usesLast24h: usage.uses } : {}),
    ...(usage?.lastUsedAt ? { lastUsedAt: usage.lastUsedAt } : {}),
  };
}

export function appSummaryView(app: AppRecord, now: Date): AppSummaryView {
  const rotation = app.activeRotation;
  return {
    appId: app.appId,
    issuer: app.issuer,
    state: app.state,
    policy: app.policy,
    tokenIssuedAt: app.tokenIssuedAt,
    tokenAgeSeconds: secondsBetween(app.tokenIssuedAt, now),
    nextDueAt: new Date(Date.parse(app.tokenIssuedAt) + app.intervalSeconds * 1000).toISOString(),
    ...(app.state === 'GRACE' && rotation?.expiresAt ? { graceEndsAt: rotation.expiresAt } : {}),
    ...(rotation ? { rotationId: rotation.rotationId } : {}),
    ...(app.lastRotation ? { lastRotation: app.lastRotation } : {}),
  };
}

/** Use of a token version in the last 24 hours, as the verifier counted it. */
export interface TokenUsage {
  readonly uses: number;
  readonly lastUsedAt?: string;
}

export function appView(
  app: AppRecord,
  now: Date,
  oldToken?: TokenVersionRecord,
  oldTokenUsage?: TokenUsage,
): AppView {
  const rotation = app.activeRotation;
  return {
    ...appSummaryView(app, now),
    secretArn: app.secretArn,
    ...(app.hubspot
      ? {
          hubspot: {
            hubId: app.hubspot.hubId,
            scopes: app.hubspot.scopes,
            requiredScopes: app.hubspot.requiredScopes,
            handoffTimeoutSeconds: app.hubspot.handoffTimeoutSeconds,
          },
        }
      : {}),
    admins: app.admins,
    customers: app.customers,
    locale: app.locale,
    timeZone: app.timeZone,
    intervalSeconds: app.intervalSeconds,
    graceSeconds: app.graceSeconds,
    reminderRepeatSeconds: app.reminderRepeatSeconds,
    defaultMode: app.defaultMode,
    currentVersionId: app.currentVersionId,
    ...(app.lastReminderAt ? { lastReminderAt: app.lastReminderAt } : {}),
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
    ...(rotation
      ? {
          rotation: {
            rotationId: rotation.rotationId,
            mode: rotation.mode,
            trigger: rotation.trigger,
            startedBy: rotation.startedBy,
            startedAt: rotation.startedAt,
            ...(rotation.reason ? { reason: rotation.reason } : {}),
            graceSeconds: rotation.graceSeconds,
            ...(rotation.expiresAt
              ? {
                  expiresAt: rotation.expiresAt,
                  graceRemainingSeconds: Math.max(
                    0,
                    Math.floor((Date.parse(rotation.expiresAt) - now.getTime()) / 1000),
                  ),
                }
              : {}),
            ...(rotation.ending ? { ending: rotation.ending } : {}),
            ...(oldToken ? { oldToken: tokenVersionView(oldToken, oldTokenUsage) } : {}),
          },
        }
      : {}),
  };
}

export function rotationView(record: RotationRecord): RotationView {
  return {
    appId: record.appId,
    rotationId: record.rotationId,
    status: record.status,
    mode: record.mode,
    trigger: record.trigger,
    startedBy: record.startedBy,
    startedAt: record.startedAt,
    ...(record.reason ? { reason: record.reason } : {}),
    graceSeconds: record.graceSeconds,
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    ...(record.endedBy ? { endedBy: record.endedBy } : {}),
    ...(record.failedStep ? { failedStep: record.failedStep } : {}),
    ...(record.failure ? { failure: record.failure.message } : {}),
    oldVersionId: record.oldVersionId,
    ...(record.newVersionId ? { newVersionId: record.newVersionId } : {}),
    ...(record.executionArn ? { executionArn: record.executionArn } : {}),
  };
}

export function auditView(event: AuditEvent): AuditEvent {
  return {
    at: event.at,
    eventId: event.eventId,
    appId: event.appId,
    action: event.action,
    actor: event.actor,
    outcome: event.outcome,
    ...(event.rotationId ? { rotationId: event.rotationId } : {}),
    ...(event.detail ? { detail: event.detail } : {}),
  };
}
