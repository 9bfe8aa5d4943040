import type {
  AppSummaryView,
  AppView,
  AuditEventView,
  RotationView,
  TokenVersionView,
  UndeliveredEmailView,
  WebhookView,
} from '../contract/views.ts';
import { stuckWorkOf } from '../domain/stuck.ts';
import { NOTICE_BEFORE_EXPIRY_SECONDS, remindBeforeOf } from '../store/dueAt.ts';
import type {
  AppRecord,
  AuditEvent,
  RotationRecord,
  TokenVersionRecord,
  WebhookRef,
} from '../store/model.ts';
import type { UndeliveredNotification } from '../store/notificationLedger.ts';

/** The operator API's answers (`lambda/contract/views.ts`), made from the registry's records. */

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
  undelivered?: readonly UndeliveredNotification[],
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
    remindBeforeSeconds: remindBeforeOf(app),
    noticeBeforeSeconds: app.noticeBeforeSeconds ?? NOTICE_BEFORE_EXPIRY_SECONDS,
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
    ...stuckView(app, now),
    ...(app.webhooks && Object.keys(app.webhooks).length > 0
      ? {
          webhooks: Object.values(app.webhooks)
            .map(webhookView)
            .sort((a, b) => a.addedAt.localeCompare(b.addedAt)),
        }
      : {}),
    ...(undelivered ? { undeliveredEmails: undelivered.map(undeliveredEmailView) } : {}),
  };
}

export function webhookView(webhook: WebhookRef): WebhookView {
  return {
    webhookId: webhook.webhookId,
    kind: webhook.kind,
    host: webhook.host,
    secretArn: webhook.secretArn,
    addedAt: webhook.addedAt,
    addedBy: webhook.addedBy,
  };
}

function undeliveredEmailView(email: UndeliveredNotification): UndeliveredEmailView {
  return {
    event: email.event,
    recipient: email.recipient,
    at: email.at,
    reason: email.reason,
    ...(email.rotationId ? { rotationId: email.rotationId } : {}),
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

export function auditView(event: AuditEvent): AuditEventView {
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

function stuckView(app: AppRecord, now: Date): Pick<AppView, 'stuck'> {
  const stuck = stuckWorkOf(app, now);
  return stuck.length > 0 ? { stuck } : {};
}
