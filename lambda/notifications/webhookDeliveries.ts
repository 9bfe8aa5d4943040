import { createHash } from 'node:crypto';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RotorEvent } from '../contract/notificationEvents.ts';
import { DETAIL_TYPES, type RotorEventDetail } from '../contract/rotorEvents.ts';
import type { WebhookDeliveryInput } from '../contract/webhooks.ts';
import type { AppRecord, WebhookRef } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';
import { isRetryableAwsError, NotificationThrottledError } from './retryable.ts';

/** Where webhook deliveries start: the webhook workflow (`WEBHOOK_STATE_MACHINE_ARN`). */
export interface WebhookStarting {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
}

/** The ledger key of one webhook's delivery of one occasion's event. */
export function webhookLedgerKey(occasion: string, event: RotorEvent, webhookId: string): string {
  return `${occasion}#${event}#webhook:${webhookId}`;
}

/**
 * The delivery's id: the same for every attempt and every start of it, so the execution's name makes a
 * second start of the same delivery a no-op, and a receiver can drop a repeat by `Rotor-Delivery`.
 */
export function deliveryIdOf(appId: string, ledgerKey: string): string {
  return createHash('sha256').update(`${appId}\n${ledgerKey}`).digest('hex').slice(0, 32);
}

export interface WebhookOccasion {
  readonly app: AppRecord;
  readonly event: RotorEvent;
  readonly occasion: string;
  readonly rotationId?: string;
  readonly occurredAt: string;
  readonly detail: RotorEventDetail;
}

/**
 * Starts one delivery execution per webhook of the app for this occasion's event, after the emails and
 * the EventBridge event: a webhook that is down never holds up either. Each execution is named by its
 * delivery id, so a retried Notify starts none twice (ExecutionAlreadyExists: it runs or ran). Its
 * input has ids, times and the event's detail, never the URL or signing secret (the deliverer reads
 * those from Secrets Manager). Throttling and 5xx are thrown for the Notify task's retry; a refusal for
 * good (access denied, no such workflow) is recorded in the ledger and audited, and the lifecycle goes on.
 */
export async function startWebhookDeliveries(
  deps: { readonly registry: Registry; readonly webhooks: WebhookStarting },
  occasion: WebhookOccasion,
): Promise<void> {
  const { app } = occasion;
  const webhooks: WebhookRef[] = Object.values(app.webhooks ?? {});
  for (const webhook of webhooks.sort((a, b) => a.webhookId.localeCompare(b.webhookId))) {
    const ledgerKey = webhookLedgerKey(occasion.occasion, occasion.event, webhook.webhookId);
    const deliveryId = deliveryIdOf(app.appId, ledgerKey);
    const input: WebhookDeliveryInput = {
      appId: app.appId,
      webhookId: webhook.webhookId,
      deliveryId,
      ledgerKey,
      event: occasion.event,
      ...(occasion.rotationId ? { rotationId: occasion.rotationId } : {}),
      occurredAt: occasion.occurredAt,
      detailType: DETAIL_TYPES[occasion.event],
      detail: occasion.detail,
    };
    try {
      await deps.webhooks.client.send(
        new StartExecutionCommand({
          stateMachineArn: deps.webhooks.stateMachineArn,
          name: `webhook-${deliveryId}`,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExecutionAlreadyExists') continue;
      if (isRetryableAwsError(error)) {
        throw new NotificationThrottledError(
          `Step Functions did not take the ${occasion.event} delivery to webhook ${webhook.webhookId} of app "${app.appId}": ${name}`,
          { cause: error },
        );
      }
      await recordWebhookFailure(deps.registry, input, `${name}: ${(error as Error).message}`);
    }
  }
}

/** Claims one delivery in the email ledger, as `webhook:<id>`, the way each email is claimed. */
export function claimDelivery(registry: Registry, input: WebhookDeliveryInput, now: string) {
  return registry.notifications.claim(
    input.appId,
    input.ledgerKey,
    {
      event: input.event,
      recipient: `webhook:${input.webhookId}`,
      ...(input.rotationId ? { rotationId: input.rotationId } : {}),
    },
    now,
  );
}

/**
 * A delivery that failed for good: the ledger keeps it (for `rotor apps show`) and the audit log tells
 * it, by webhook id and host, never by URL. Idempotent: a second call finds it settled.
 */
export async function recordWebhookFailure(
  registry: Registry,
  input: WebhookDeliveryInput,
  reason: string,
  now: string = input.occurredAt,
): Promise<boolean> {
  const claim = await claimDelivery(registry, input, now);
  if (!claim.claimed && claim.status !== 'sending') return false;
  await registry.notifications.settle(input.appId, input.ledgerKey, 'failed', now, reason.slice(0, 500));
  await registry.audit.appendAudit({
    at: now,
    eventId: `webhook:${input.appId}:${input.deliveryId}`,
    appId: input.appId,
    action: 'webhook.deliver',
    actor: 'rotor-webhooks',
    outcome: 'failed',
    ...(input.rotationId ? { rotationId: input.rotationId } : {}),
    detail: `${input.detailType} to webhook ${input.webhookId} not delivered (${reason})`.slice(0, 500),
  });
  return true;
}
