import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Locale } from '../../contract/appSettings.ts';
import type { NotificationEvent } from '../../contract/notificationEvents.ts';
import type { Admin, AppRecord, RotationRecord } from '../model.ts';
import type { Registry } from '../Registry.ts';
import { CUSTOMER_EVENTS, type NotificationContext, type OldTokenUsage } from './events.ts';
import { renderEmail } from './renderEmail.ts';

/** SES answered that it is throttling or unavailable; the workflow retries the task (its Retry matches this name). */
export class NotificationThrottledError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotificationThrottledError';
  }
}

export interface NotifyDependencies {
  readonly registry: Registry;
  readonly ses: SESClient;
  /** The verified SES identity the emails come from. */
  readonly senderAddress: string;
  readonly clock: () => Date;
}

export interface NotificationRequest {
  readonly appId: string;
  readonly event: NotificationEvent;
  /** The rotation the email is about; a reminder has none. */
  readonly rotationId?: string;
  /** Sets one sending apart from the others of its rotation and event (the daily handoff reminders). */
  readonly occasion?: string;
}

export interface NotificationOutcome {
  /** Recipients that got the email now. */
  readonly sent: string[];
  /** Recipients that got it before (a retried task) and were skipped. */
  readonly skipped: string[];
  /** Recipients SES refused for good; recorded in the audit log. */
  readonly failed: string[];
}

interface Recipient {
  readonly email: string;
  readonly locale: Locale;
  readonly audience: 'admin' | 'customer';
}

const RETRYABLE = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailable',
]);

function isRetryable(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return RETRYABLE.has(name ?? '') || ($metadata?.httpStatusCode ?? 0) >= 500;
}

function recipientsOf(app: AppRecord, event: NotificationEvent): Recipient[] {
  const admins = app.admins.map((admin: Admin) => ({
    email: admin.email,
    locale: admin.locale ?? app.locale,
    audience: 'admin' as const,
  }));
  const customers = CUSTOMER_EVENTS.includes(event)
    ? app.customers.map((email) => ({ email, locale: app.locale, audience: 'customer' as const }))
    : [];
  return [...admins, ...customers];
}

/**
 * For the 24-hour notice: how often the old token was used in the last 24 hours, as the verifier
 * counted it, so the admins know whether something still depends on it before it dies.
 */
async function oldTokenUsageFor(
  deps: NotifyDependencies,
  request: NotificationRequest,
  rotation: RotationRecord | undefined,
  now: string,
): Promise<OldTokenUsage | undefined> {
  if (request.event !== 'TOKEN_EXPIRES_IN_24H' || !rotation?.oldVersionId) return undefined;
  const since = new Date(Date.parse(now) - 24 * 3_600_000).toISOString();
  const usage = await deps.registry.tokenUsage(rotation.appId, rotation.oldVersionId, since);
  return { count: usage.uses, ...(usage.lastUsedAt ? { lastUsedAt: usage.lastUsedAt } : {}) };
}

function contextFor(
  app: AppRecord,
  rotation: RotationRecord | undefined,
  request: NotificationRequest,
  recipient: Recipient,
  now: string,
): NotificationContext {
  return {
    event: request.event,
    locale: recipient.locale,
    audience: recipient.audience,
    appId: app.appId,
    timeZone: app.timeZone,
    occurredAt: now,
    ...(rotation
      ? {
          rotationId: rotation.rotationId,
          mode: rotation.mode,
          trigger: rotation.trigger,
          startedBy: rotation.startedBy,
          ...(rotation.reason ? { reason: rotation.reason } : {}),
          ...(rotation.expiresAt ? { expiresAt: rotation.expiresAt } : {}),
          graceSeconds: rotation.graceSeconds,
          ...(rotation.failedStep ? { failedStep: rotation.failedStep } : {}),
          ...(rotation.failure ? { failure: rotation.failure.message } : {}),
        }
      : {}),
    tokenIssuedAt: app.tokenIssuedAt,
    intervalSeconds: app.intervalSeconds,
    ...hubspotContextOf(app, rotation),
  };
}

/** What a HubSpot app's emails add: the portal, the scope changes, the handoff deadline, HubSpot's verdict. */
function hubspotContextOf(
  app: AppRecord,
  rotation: RotationRecord | undefined,
): Partial<NotificationContext> {
  if (app.issuer !== 'hubspot' || !app.hubspot) return {};
  const active = app.activeRotation?.rotationId === rotation?.rotationId ? app.activeRotation : undefined;
  const handoff = rotation?.handoff ?? active?.handoff;
  return {
    issuer: 'hubspot',
    hubId: app.hubspot.hubId,
    ...(handoff ? { scopesAdded: handoff.scopesAdded, scopesRemoved: handoff.scopesRemoved } : {}),
    ...(rotation
      ? {
          handoffDeadline: new Date(
            Date.parse(rotation.startedAt) + app.hubspot.handoffTimeoutSeconds * 1000,
          ).toISOString(),
        }
      : {}),
    ...(rotation?.hubspotCheck ? { hubspotCheck: rotation.hubspotCheck } : {}),
  };
}

/**
 * Sends one notification to each of the app's admins (in their own locale, else the app's) and,
 * for the events that concern them, its customer contacts: one SES message per recipient, HTML
 * and plain text. Each email goes out at most once per rotation (or reminder day), event and
 * recipient, however often the task is retried. Throttling is thrown as NotificationThrottledError
 * for the workflow to retry; a permanent refusal is recorded in the audit log and does not stop
 * the lifecycle.
 */
export async function sendNotification(
  deps: NotifyDependencies,
  request: NotificationRequest,
): Promise<NotificationOutcome> {
  const app = await deps.registry.getApp(request.appId);
  const rotation = request.rotationId
    ? await deps.registry.findRotation(app.appId, request.rotationId)
    : undefined;
  const now = deps.clock().toISOString();
  const occasion = request.occasion ?? request.rotationId ?? `reminder-${now.slice(0, 10)}`;
  const outcome: NotificationOutcome = { sent: [], skipped: [], failed: [] };
  const oldTokenUsage = await oldTokenUsageFor(deps, request, rotation, now);

  for (const recipient of recipientsOf(app, request.event)) {
    const key = `${occasion}#${request.event}#${recipient.email}`;
    if (!(await deps.registry.claimNotification(app.appId, key, now))) {
      outcome.skipped.push(recipient.email);
      continue;
    }
    const email = renderEmail({
      ...contextFor(app, rotation, request, recipient, now),
      ...(oldTokenUsage ? { oldTokenUsage } : {}),
    });
    try {
      await deps.ses.send(
        new SendEmailCommand({
          Source: deps.senderAddress,
          Destination: { ToAddresses: [recipient.email] },
          Message: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: email.text, Charset: 'UTF-8' },
              Html: { Data: email.html, Charset: 'UTF-8' },
            },
          },
        }),
      );
    } catch (error) {
      if (isRetryable(error)) {
        await deps.registry.releaseNotification(app.appId, key);
        throw new NotificationThrottledError(
          `SES did not take ${request.event} for ${recipient.email}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const reason = `${(error as Error).name}: ${(error as Error).message}`;
      await deps.registry.settleNotification(app.appId, key, 'failed', reason);
      await deps.registry.appendAudit({
        at: now,
        eventId: `notify:${key}`,
        appId: app.appId,
        action: 'notification.send',
        actor: 'rotor-notifications',
        outcome: 'failed',
        ...(request.rotationId ? { rotationId: request.rotationId } : {}),
        detail: `${request.event} to ${recipient.email} refused by SES (${reason})`,
      });
      outcome.failed.push(recipient.email);
      continue;
    }
    await deps.registry.settleNotification(app.appId, key, 'sent');
    outcome.sent.push(recipient.email);
  }
  return outcome;
}
