import type { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { appPageUrl } from '../contract/console.ts';
import { isNotificationEvent, type NotificationEvent } from '../contract/notificationEvents.ts';
import { EVENT_SOURCE } from '../contract/rotorEvents.ts';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  type WebhookDeliveryInput,
  type WebhookSecret,
  webhookUrlProblem,
} from '../contract/webhooks.ts';
import type { AppRecord, RotationRecord, WebhookRef } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';
import { GERMAN } from './copy/de.ts';
import { ENGLISH } from './copy/en.ts';
import type { NotificationContext } from './events.ts';
import { lifecycleContent } from './lifecycleContent.ts';
import { slackMessage, teamsMessage } from './renderChat.ts';
import { notificationContent } from './renderEmail.ts';
import { countWebhookDeliveries } from './rotorMetrics.ts';
import { contextFor } from './sendNotification.ts';
import { claimDelivery, recordWebhookFailure } from './webhookDeliveries.ts';

/** How long one attempt waits for the receiver's answer. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface DeliverWebhookDependencies {
  readonly registry: Registry;
  readonly secretsManager: SecretsManagerClient;
  readonly clock: () => Date;
  /** The console's URL: chat messages link to the app's page in it. */
  readonly consoleUrl?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Where deliveries and failures are counted (`WebhooksDelivered`, `WebhooksFailed`). @default Rotor's metrics */
  readonly metrics?: Metrics;
}

/** What a webhook metric line says the delivery was about. */
function aboutOf(input: WebhookDeliveryInput) {
  return { appId: input.appId, ...(isNotificationEvent(input.event) ? { event: input.event } : {}) };
}

/** The receiver did not take the delivery now (no answer, 408, 425, 429, 5xx): the workflow retries with backoff. */
export class WebhookNotDeliveredError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookNotDelivered';
  }
}

export type DeliveryOutcome =
  | { readonly status: 'delivered'; readonly httpStatus: number }
  | { readonly status: 'delivered-before' | 'refused' | 'webhook-removed' };

/** The body a `json` webhook gets: the event as EventBridge has it, plus the delivery's id. */
export function jsonDeliveryBody(input: WebhookDeliveryInput): string {
  return JSON.stringify({
    id: input.deliveryId,
    source: EVENT_SOURCE,
    'detail-type': input.detailType,
    time: input.occurredAt,
    detail: input.detail,
  });
}

/** The words of the admins' email, for the app's channel: in the app's language, as an admin reads them. */
function chatContext(
  app: AppRecord,
  rotation: RotationRecord | undefined,
  input: WebhookDeliveryInput & { readonly event: NotificationEvent },
): NotificationContext {
  const detail = input.detail as Record<string, unknown>;
  const dueSoon =
    typeof detail.dueAt === 'string' && typeof detail.daysBefore === 'number'
      ? { dueSoon: { dueAt: detail.dueAt, beforeSeconds: detail.daysBefore * 86_400 } }
      : {};
  const context = contextFor(
    app,
    rotation,
    {
      appId: app.appId,
      event: input.event,
      ...(input.rotationId ? { rotationId: input.rotationId } : {}),
      ...dueSoon,
    },
    { email: '', locale: app.locale, audience: 'admin' },
    input.occurredAt,
  );
  const uses = detail.oldTokenUsesLast24h;
  return typeof uses === 'number' ? { ...context, oldTokenUsage: { count: uses } } : context;
}

/** The request one webhook gets for one event: a chat message for Slack and Teams, the signed event for `json`. */
function requestFor(
  deps: DeliverWebhookDependencies,
  webhook: WebhookRef,
  secret: WebhookSecret,
  app: AppRecord,
  rotation: RotationRecord | undefined,
  input: WebhookDeliveryInput,
): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Rotor-Webhooks/1',
    [DELIVERY_HEADER]: input.deliveryId,
    [EVENT_HEADER]: input.detailType,
  };
  if (webhook.kind === 'json') {
    const body = jsonDeliveryBody(input);
    if (!secret.signingSecret) throw new Error(`webhook ${webhook.webhookId}'s secret has no signing secret`);
    // Signed at each attempt, so the receiver's window for the timestamp can stay short.
    const timestamp = Math.floor(deps.clock().getTime() / 1000);
    return {
      body,
      headers: { ...headers, [SIGNATURE_HEADER]: signWebhook(secret.signingSecret, timestamp, body) },
    };
  }
  const message = {
    content: isNotificationEvent(input.event)
      ? notificationContent(chatContext(app, rotation, { ...input, event: input.event }))
      : lifecycleContent(input.event, input.detail, app),
    openLabel: (app.locale === 'en' ? ENGLISH : GERMAN).buttons.open,
    ...(deps.consoleUrl ? { openUrl: appPageUrl(deps.consoleUrl, app.appId) } : {}),
  };
  return {
    body: JSON.stringify(webhook.kind === 'slack' ? slackMessage(message) : teamsMessage(message)),
    headers,
  };
}

function readSecret(value: string | undefined, webhookId: string): WebhookSecret {
  try {
    const parsed = JSON.parse(value ?? '') as Partial<WebhookSecret>;
    // The secret may have been edited outside Rotor: its URL must still be one Rotor would have taken.
    if (typeof parsed.url === 'string' && webhookUrlProblem(parsed.url) === undefined) {
      return parsed as WebhookSecret;
    }
  } catch {
    // Named below, without the value.
  }
  throw new Error(
    `webhook ${webhookId}'s secret is not the JSON Rotor wrote ({"url": "https://...", "signingSecret": ...})`,
  );
}

/** Answers worth another attempt: the receiver timed out, is rate limiting, or failed on its side. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * Delivers one event to one webhook, once: the ledger's claim (`webhook:<id>`) makes a repeated attempt
 * that finds it delivered do nothing. A 2xx is delivered. No answer within 10 s, 408, 425, 429 or a 5xx
 * gives the claim back and throws {@link WebhookNotDeliveredError}, which the webhook workflow retries
 * with backoff; any other answer (a 3xx is not followed, a 4xx) is a refusal for good, recorded and
 * audited. Nothing here names the URL, which is a credential: errors and records name the webhook's id.
 * A crash after the receiver's 2xx and before the ledger's settle repeats the delivery, with the same
 * `Rotor-Delivery` id, so a receiver can drop it.
 */
export async function deliverWebhook(
  deps: DeliverWebhookDependencies,
  input: WebhookDeliveryInput,
): Promise<DeliveryOutcome> {
  const now = deps.clock().toISOString();
  const app = await deps.registry.apps.findApp(input.appId);
  const webhook = app?.webhooks?.[input.webhookId];
  if (!app || !webhook) return { status: 'webhook-removed' };
  const ledger = deps.registry.notifications;
  const claim = await claimDelivery(deps.registry, input, now);
  if (!claim.claimed) {
    if (claim.status !== 'sending') return { status: 'delivered-before' };
    throw new WebhookNotDeliveredError(
      `another attempt is delivering to webhook ${input.webhookId}; trying again once its lease has run out`,
    );
  }
  let request: { url: string; body: string; headers: Record<string, string> };
  try {
    const secret = await deps.secretsManager.send(new GetSecretValueCommand({ SecretId: webhook.secretArn }));
    const value = readSecret(secret.SecretString, webhook.webhookId);
    const rotation = input.rotationId
      ? await deps.registry.rotations.findRotation(input.appId, input.rotationId)
      : undefined;
    request = { url: value.url, ...requestFor(deps, webhook, value, app, rotation, input) };
  } catch (error) {
    // Secrets Manager throttled, or the secret is unreadable: the workflow retries, then gives up with it.
    await ledger.release(input.appId, input.ledgerKey, now);
    throw error;
  }
  let answer: Response;
  try {
    answer = await (deps.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    // The receiver's body is never read into a record: it could echo anything.
    await answer.body?.cancel();
  } catch (error) {
    await ledger.release(input.appId, input.ledgerKey, now);
    const name = (error as Error).name;
    const code = (error as { cause?: { code?: string } }).cause?.code;
    throw new WebhookNotDeliveredError(
      `webhook ${input.webhookId} (${webhook.host}) did not answer: ${name}${code ? ` ${code}` : ''}`,
    );
  }
  if (answer.status >= 200 && answer.status < 300) {
    await ledger.settle(input.appId, input.ledgerKey, 'sent', now);
    countWebhookDeliveries('delivered', 1, aboutOf(input), deps.metrics);
    return { status: 'delivered', httpStatus: answer.status };
  }
  if (isRetryableStatus(answer.status)) {
    await ledger.release(input.appId, input.ledgerKey, now);
    throw new WebhookNotDeliveredError(
      `webhook ${input.webhookId} (${webhook.host}) answered ${answer.status}`,
    );
  }
  if (await recordWebhookFailure(deps.registry, input, `the receiver answered ${answer.status}`, now)) {
    countWebhookDeliveries('failed', 1, aboutOf(input), deps.metrics);
  }
  return { status: 'refused' };
}

/** After the last retry: the delivery is recorded as failed and audited, once. */
export async function giveUpWebhook(
  deps: Pick<DeliverWebhookDependencies, 'registry' | 'clock' | 'metrics'>,
  input: WebhookDeliveryInput,
  lastError: string,
): Promise<{ readonly recorded: boolean }> {
  const recorded = await recordWebhookFailure(
    deps.registry,
    input,
    `gave up after the workflow's retries: ${lastError}`,
    deps.clock().toISOString(),
  );
  // Counted once: a repeated give-up finds the failure recorded.
  if (recorded) countWebhookDeliveries('failed', 1, aboutOf(input), deps.metrics);
  return { recorded };
}
