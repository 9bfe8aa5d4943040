import type { Metrics } from '@aws-lambda-powertools/metrics';
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Locale } from '../contract/appSettings.ts';
import { ACTION_LINK_MAX_SECONDS, actionLinkUrl, appPageUrl } from '../contract/console.ts';
import {
  isNotificationEvent,
  type NotificationEvent,
  type RotorEvent,
} from '../contract/notificationEvents.ts';
import { noticeSecondsOf, tokenDueAtOf } from '../store/dueAt.ts';
import type { Admin, AppRecord, DueSoonReminder, RotationRecord } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';
import { countUndeliverable } from './countUndeliverable.ts';
import {
  BUTTON_ACTIONS,
  CUSTOMER_EVENTS,
  type EmailButton,
  type NotificationContext,
  type OldTokenUsage,
} from './events.ts';
import { detailOf, type EventPublishing, publishEvent } from './publishEvent.ts';
import { renderEmail } from './renderEmail.ts';
import { isRetryableAwsError, NotificationThrottledError } from './retryable.ts';
import { countEmailSent } from './rotorMetrics.ts';
import { startWebhookDeliveries, type WebhookStarting } from './webhookDeliveries.ts';

/** SES answered that it is throttling or unavailable; the workflow retries the task (its Retry matches this name). */
export { NotificationThrottledError };

export interface NotifyDependencies {
  readonly registry: Registry;
  readonly ses: SESClient;
  /** The verified SES identity the emails come from. */
  readonly senderAddress: string;
  readonly clock: () => Date;
  /** Where sent emails and those SES refused for good are counted. @default Rotor's metrics (rotorMetrics.ts) */
  readonly metrics?: Metrics;
  /** The Rotor Console's URL (`CONSOLE_URL`): admins' emails carry buttons into it. Without it, none. */
  readonly consoleUrl?: string;
  /** The event bus each notification is also put on as a Rotor event (`EVENT_BUS_NAME`). Without it, none. */
  readonly events?: EventPublishing;
  /** The workflow that delivers to the app's webhooks (`WEBHOOK_STATE_MACHINE_ARN`). Without it, none. */
  readonly webhooks?: WebhookStarting;
}

export interface NotificationRequest {
  readonly appId: string;
  /** An email's step, or a step no one is emailed about (ROTATION_STARTED): that one only goes to other systems. */
  readonly event: RotorEvent;
  /** The rotation the email is about; a reminder has none. */
  readonly rotationId?: string;
  /** Sets one sending apart from the others of its rotation and event (the daily handoff reminders). */
  readonly occasion?: string;
  /** ROTATION_DUE_SOON: the due date and which of its reminders (else the current token's due date). */
  readonly dueSoon?: DueSoonReminder;
}

export interface NotificationOutcome {
  /** Recipients that got the email now. */
  readonly sent: string[];
  /** Recipients that got it before (a retried task), or whose email another attempt is sending now. */
  readonly skipped: string[];
  /** Recipients SES refused for good; recorded in the ledger and the audit log, shown by `rotor apps show`. */
  readonly failed: string[];
  /**
   * Whether every recipient's email is settled: sent (now or before) or refused for good. False while
   * another attempt holds a claim within its lease: that one may still die, so call again later (the
   * workflow's retry, the sweep), and the claim is taken over once its lease has run out.
   */
  readonly settled: boolean;
}

export interface Recipient {
  readonly email: string;
  readonly locale: Locale;
  readonly audience: 'admin' | 'customer';
}

/** Whether an SES failure is worth retrying (see {@link isRetryableAwsError}). */
export const isRetryableSesError = isRetryableAwsError;

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
  const usage = await deps.registry.tokens.tokenUsage(rotation.appId, rotation.oldVersionId, since);
  return { count: usage.uses, ...(usage.lastUsedAt ? { lastUsedAt: usage.lastUsedAt } : {}) };
}

/** What an email to one recipient (or a chat message, to the app's admins as a whole) is made from. */
export function contextFor(
  app: AppRecord,
  rotation: RotationRecord | undefined,
  request: EmailRequest,
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
          noticeSeconds: noticeSecondsOf(rotation),
          ...(rotation.failedStep ? { failedStep: rotation.failedStep } : {}),
          ...(rotation.failure ? { failure: rotation.failure.message } : {}),
        }
      : {}),
    tokenIssuedAt: app.tokenIssuedAt,
    intervalSeconds: app.intervalSeconds,
    ...(request.event === 'ROTATION_DUE_SOON'
      ? {
          dueAt: request.dueSoon?.dueAt ?? tokenDueAtOf(app),
          policy: app.policy,
          graceSeconds: app.graceSeconds,
        }
      : {}),
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

/** A request whose step emails the admins. */
export type EmailRequest = NotificationRequest & { readonly event: NotificationEvent };

/** One recipient's email, once the occasion and the rendering context are known. */
interface Delivery {
  readonly app: AppRecord;
  readonly request: EmailRequest;
  readonly recipient: Recipient;
  readonly key: string;
  readonly now: string;
  readonly rotation: RotationRecord | undefined;
  readonly render: (buttons: readonly EmailButton[]) => ReturnType<typeof renderEmail>;
}

/**
 * The console's buttons of one admin's email: for each next action a single-use link bound to this
 * admin, the app, the rotation and the action, stored as its hash only, valid until the step it belongs
 * to ends (the old token's expiry, the handoff's deadline) and never longer than 72 hours; then "Open
 * in Rotor". A repeated attempt mints new links; the ones of an email that never went out expire unused.
 */
async function buttonsFor(deps: NotifyDependencies, delivery: Delivery): Promise<EmailButton[]> {
  const { app, request, recipient, now, rotation } = delivery;
  if (!deps.consoleUrl || recipient.audience !== 'admin') return [];
  const latest = Date.parse(now) + ACTION_LINK_MAX_SECONDS * 1000;
  const stepEnd =
    request.event === 'HANDOFF_REQUESTED' || request.event === 'HANDOFF_REMINDER'
      ? rotation && app.hubspot
        ? Date.parse(rotation.startedAt) + app.hubspot.handoffTimeoutSeconds * 1000
        : undefined
      : rotation?.expiresAt
        ? Date.parse(rotation.expiresAt)
        : undefined;
  const expiresAt = new Date(Math.min(latest, stepEnd ?? latest)).toISOString();
  const buttons: EmailButton[] = [];
  for (const action of BUTTON_ACTIONS[request.event]) {
    if (action !== 'rotate' && !request.rotationId) continue;
    const secret = await deps.registry.console.createActionLink({
      email: recipient.email,
      appId: app.appId,
      ...(action !== 'rotate' && request.rotationId ? { rotationId: request.rotationId } : {}),
      action,
      createdAt: now,
      expiresAt,
    });
    buttons.push({ action, url: actionLinkUrl(deps.consoleUrl, secret) });
  }
  buttons.push({ action: 'open', url: appPageUrl(deps.consoleUrl, app.appId) });
  return buttons;
}

/** What became of one recipient's email in this attempt. */
type DeliveryResult = 'sent' | 'failed' | 'skipped-settled' | 'skipped-in-flight';

async function deliver(deps: NotifyDependencies, delivery: Delivery): Promise<DeliveryResult> {
  const { app, request, recipient, key, now } = delivery;
  const ledger = deps.registry.notifications;
  const claim = await ledger.claim(
    app.appId,
    key,
    {
      event: request.event,
      recipient: recipient.email,
      ...(request.rotationId ? { rotationId: request.rotationId } : {}),
    },
    now,
  );
  if (!claim.claimed) return claim.status === 'sending' ? 'skipped-in-flight' : 'skipped-settled';
  const email = delivery.render(await buttonsFor(deps, delivery));
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
    if (isRetryableSesError(error)) {
      await ledger.release(app.appId, key, now);
      throw new NotificationThrottledError(
        `SES did not take ${request.event} for ${recipient.email}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    await recordRefusal(deps, delivery, `${(error as Error).name}: ${(error as Error).message}`);
    return 'failed';
  }
  await ledger.settle(app.appId, key, 'sent', now);
  return 'sent';
}

/**
 * A refusal for good: the ledger keeps it (for `rotor apps show`), the metric counts it (the stack's
 * alarm), and the audit log tells it.
 */
async function recordRefusal(deps: NotifyDependencies, delivery: Delivery, reason: string): Promise<void> {
  const { app, request, recipient, key, now } = delivery;
  await deps.registry.notifications.settle(app.appId, key, 'failed', now, reason);
  countUndeliverable(request, 1, deps.metrics);
  await deps.registry.audit.appendAudit({
    at: now,
    eventId: `notify:${key}`,
    appId: app.appId,
    action: 'notification.send',
    actor: 'rotor-notifications',
    outcome: 'failed',
    ...(request.rotationId ? { rotationId: request.rotationId } : {}),
    detail: `${request.event} to ${recipient.email} refused by SES (${reason})`,
  });
}

/**
 * Sends one notification to each of the app's admins (in their own locale, else the app's) and,
 * for the events that concern them, its customer contacts: one SES message per recipient, HTML
 * and plain text.
 *
 * Delivery is at least once, never lost, and at most repeated after a crash. Each email is claimed
 * in the ledger (`sending`, with the time), sent, then settled (`sent`, or `failed` for good), so a
 * retried task does not send it again. An attempt that dies between its claim and SES's answer
 * leaves the claim `sending`; once its lease has run out (`NOTIFICATION_LEASE_SECONDS`, 15 minutes,
 * longer than any Lambda runs), the next attempt (the workflow's retry, the sweep) takes it over and
 * sends. SES may have accepted the email before the crash, so it can arrive twice. That is the side
 * chosen on purpose: these emails tell admins that a token changed or is about to expire, and a lost
 * one means a surprise outage, while a repeat only costs a second read. SES offers no idempotency
 * key that would rule out the repeat.
 *
 * Throttling, a 5xx and a networking failure (no HTTP status) give the claim back and are thrown as
 * NotificationThrottledError for the workflow to retry. A permanent refusal (a 4xx) is recorded as
 * failed with SES's reason, audited, listed by `rotor apps show`, counted in the
 * `Rotor/UndeliverableEmails` metric that the stack alarms on, and does not stop the lifecycle.
 * `settled` tells the caller whether every recipient is done with, or whether another attempt still
 * holds a claim within its lease (call again later).
 */
export async function sendNotification(
  deps: NotifyDependencies,
  request: NotificationRequest,
): Promise<NotificationOutcome> {
  const app = await deps.registry.apps.getApp(request.appId);
  const rotation = request.rotationId
    ? await deps.registry.rotations.findRotation(app.appId, request.rotationId)
    : undefined;
  const now = deps.clock().toISOString();
  const occasion = request.occasion ?? request.rotationId ?? `reminder-${now.slice(0, 10)}`;
  const outcome = { sent: [] as string[], skipped: [] as string[], failed: [] as string[], settled: true };
  const oldTokenUsage = await oldTokenUsageFor(deps, request, rotation, now);

  const emailRequest = isNotificationEvent(request.event) ? { ...request, event: request.event } : undefined;
  for (const recipient of emailRequest ? recipientsOf(app, emailRequest.event) : []) {
    const result = await deliver(deps, {
      app,
      request: emailRequest as EmailRequest,
      recipient,
      key: `${occasion}#${request.event}#${recipient.email}`,
      now,
      rotation,
      render: (buttons) =>
        renderEmail({
          ...contextFor(app, rotation, emailRequest as EmailRequest, recipient, now),
          ...(oldTokenUsage ? { oldTokenUsage } : {}),
          ...(buttons.length > 0 ? { buttons } : {}),
        }),
    });
    if (result === 'sent' || result === 'failed') outcome[result].push(recipient.email);
    else outcome.skipped.push(recipient.email);
    if (result === 'sent') countEmailSent(emailRequest as EmailRequest, deps.metrics);
    if (result === 'skipped-in-flight') outcome.settled = false;
  }
  if (deps.events) {
    // After the emails: an EventBridge outage never holds up the admins' emails.
    const published = await publishEvent(
      { registry: deps.registry, events: deps.events },
      `${occasion}#${request.event}#eventbridge:${deps.events.busName}`,
      {
        app,
        rotation,
        event: request.event,
        occurredAt: now,
        ...(oldTokenUsage ? { oldTokenUses: oldTokenUsage.count } : {}),
        ...(request.dueSoon ? { dueSoon: request.dueSoon } : {}),
      },
    );
    if (published === 'in-flight') outcome.settled = false;
  }
  if (deps.webhooks && app.webhooks && Object.keys(app.webhooks).length > 0) {
    // Last, and only started here: each delivery retries in its own execution, so a webhook that is
    // down never delays the emails, the event, or the rotation's workflow.
    await startWebhookDeliveries(
      { registry: deps.registry, webhooks: deps.webhooks },
      {
        app,
        event: request.event,
        occasion,
        ...(request.rotationId ? { rotationId: request.rotationId } : {}),
        occurredAt: now,
        detail: detailOf({
          app,
          rotation,
          event: request.event,
          occurredAt: now,
          ...(oldTokenUsage ? { oldTokenUses: oldTokenUsage.count } : {}),
        }),
      },
    );
  }
  return outcome;
}
