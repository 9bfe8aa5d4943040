import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DETAIL_TYPES, EVENT_SOURCE, type RotorEventDetail } from '../contract/rotorEvents.ts';
import { noticeSecondsOf, tokenDueAtOf } from '../store/dueAt.ts';
import type { AppRecord, DueSoonReminder, RotationRecord } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';
import { isRetryableAwsError, NotificationThrottledError, RETRYABLE_ERROR_NAMES } from './retryable.ts';

/** Where the events go: the EventBridge client and the bus (`EVENT_BUS_NAME`). */
export interface EventPublishing {
  readonly client: EventBridgeClient;
  readonly busName: string;
}

/** What one event is about: the request of the email it goes with, or (an event no one is emailed about) its detail. */
export interface EventRequest {
  readonly app: AppRecord;
  readonly rotation: RotationRecord | undefined;
  readonly event: RotorEventDetail['event'];
  readonly occurredAt: string;
  readonly oldTokenUses?: number;
  /** The detail as it is; else it is made from the records ({@link detailOf}). */
  readonly detail?: RotorEventDetail;
  /** ROTATION_DUE_SOON: the due date and which of its reminders (else the current token's due date). */
  readonly dueSoon?: DueSoonReminder;
}

/** The event's detail: ids, modes, times and actors from the records, never a token value or hash. */
export function detailOf(request: EventRequest): RotorEventDetail {
  const { app, rotation, event, occurredAt } = request;
  const common = { version: '1' as const, appId: app.appId, issuer: app.issuer, occurredAt };
  if (event === 'ROTATION_DUE_SOON') {
    const dueAt = request.dueSoon?.dueAt ?? tokenDueAtOf(app);
    const daysBefore = request.dueSoon
      ? Math.round(request.dueSoon.beforeSeconds / 86_400)
      : Math.max(0, Math.ceil((Date.parse(dueAt) - Date.parse(occurredAt)) / 86_400_000));
    return {
      ...common,
      event,
      policy: app.policy,
      tokenIssuedAt: app.tokenIssuedAt,
      intervalSeconds: app.intervalSeconds,
      dueAt,
      daysBefore,
    };
  }
  if (event === 'ROTATION_REMINDER' || !rotation) {
    return {
      ...common,
      event: 'ROTATION_REMINDER',
      tokenIssuedAt: app.tokenIssuedAt,
      intervalSeconds: app.intervalSeconds,
    };
  }
  const base = {
    ...common,
    rotationId: rotation.rotationId,
    mode: rotation.mode,
    trigger: rotation.trigger,
    startedBy: rotation.startedBy,
    startedAt: rotation.startedAt,
    graceSeconds: rotation.graceSeconds,
  };
  const deadline =
    app.hubspot &&
    new Date(Date.parse(rotation.startedAt) + app.hubspot.handoffTimeoutSeconds * 1000).toISOString();
  switch (event) {
    case 'ROTATION_INITIATED':
    case 'ROTATION_COMPLETED':
      return { ...base, event, ...(rotation.expiresAt ? { expiresAt: rotation.expiresAt } : {}) };
    case 'ROTATION_CANCELLED':
    case 'TOKEN_INVALIDATED':
      return { ...base, event, ...(rotation.endedBy ? { endedBy: rotation.endedBy } : {}) };
    case 'TOKEN_EXPIRES_IN_24H':
      return {
        ...base,
        event,
        expiresAt: rotation.expiresAt ?? occurredAt,
        noticeSeconds: noticeSecondsOf(rotation),
        oldTokenUsesLast24h: request.oldTokenUses ?? 0,
      };
    case 'ROTATION_FAILED':
      return { ...base, event, failedStep: rotation.failedStep ?? 'unknown' };
    case 'HANDOFF_REQUESTED':
    case 'HANDOFF_REMINDER':
      return { ...base, event, hubId: app.hubspot?.hubId ?? 0, handoffDeadline: deadline ?? occurredAt };
    case 'HUBSPOT_TOKEN_STILL_VALID':
      return { ...base, event, hubId: app.hubspot?.hubId ?? 0 };
    case 'ROTATION_STARTED':
      return { ...base, event, ...(rotation.reason ? { reason: rotation.reason } : {}) };
    default:
      // The app's own events (registered, removed, stuck, repaired) say what no record holds.
      throw new Error(`the detail of ${event} is made where it happens, not from the records`);
  }
}

/**
 * Puts one Rotor event on the bus, at most once per occasion (rotation or reminder day), event and bus:
 * the email ledger keeps a claim for the bus as it does for each recipient (`eventbridge:<bus>`). A
 * throttled or unanswered PutEvents (or an entry EventBridge failed internally) gives the claim back
 * and throws for the caller's retry; a refusal for good (access, a malformed entry) is recorded as
 * failed, audited, and never holds up the lifecycle. Returns whether the event is settled.
 */
export async function publishEvent(
  deps: { readonly registry: Registry; readonly events: EventPublishing },
  ledgerKey: string,
  request: EventRequest,
): Promise<'published' | 'settled-before' | 'in-flight' | 'failed'> {
  const { registry, events } = deps;
  const { app, event, occurredAt } = request;
  const detail = request.detail ?? detailOf(request);
  const claim = await registry.notifications.claim(
    app.appId,
    ledgerKey,
    {
      event,
      recipient: `eventbridge:${events.busName}`,
      ...(request.rotation ? { rotationId: request.rotation.rotationId } : {}),
    },
    occurredAt,
  );
  if (!claim.claimed) return claim.status === 'sending' ? 'in-flight' : 'settled-before';
  let failure: string | undefined;
  try {
    const answer = await events.client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: DETAIL_TYPES[event],
            Detail: JSON.stringify(detail),
            EventBusName: events.busName,
            Time: new Date(occurredAt),
          },
        ],
      }),
    );
    const entry = answer.Entries?.[0];
    if ((answer.FailedEntryCount ?? 0) > 0 && entry?.ErrorCode) {
      if (RETRYABLE_ERROR_NAMES.has(entry.ErrorCode)) {
        throw Object.assign(new Error(`${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`), {
          name: entry.ErrorCode,
        });
      }
      failure = `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`;
    }
  } catch (error) {
    if (isRetryableAwsError(error)) {
      await registry.notifications.release(app.appId, ledgerKey, occurredAt);
      throw new NotificationThrottledError(
        `EventBridge did not take ${DETAIL_TYPES[event]} for app "${app.appId}": ${(error as Error).message}`,
        { cause: error },
      );
    }
    failure = `${(error as Error).name}: ${(error as Error).message}`;
  }
  if (failure) {
    await registry.notifications.settle(app.appId, ledgerKey, 'failed', occurredAt, failure);
    await registry.audit.appendAudit({
      at: occurredAt,
      eventId: `event:${ledgerKey}`,
      appId: app.appId,
      action: 'event.publish',
      actor: 'rotor-notifications',
      outcome: 'failed',
      ...(request.rotation ? { rotationId: request.rotation.rotationId } : {}),
      detail: `${DETAIL_TYPES[event]} to event bus ${events.busName} refused (${failure})`.slice(0, 500),
    });
    return 'failed';
  }
  await registry.notifications.settle(app.appId, ledgerKey, 'sent', occurredAt);
  return 'published';
}
