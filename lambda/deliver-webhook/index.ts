import { extend, object, optional, string } from 'zod/mini';
import { type WebhookDeliveryInput, webhookDeliveryInput } from '../contract/webhooks.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';
import { deliverWebhook, giveUpWebhook } from '../notifications/deliverWebhook.ts';

const input = extend(webhookDeliveryInput, {
  /** Set by the workflow's Catch once the retries are spent: the last attempt's error. */
  giveUp: optional(object({ Error: optional(string()), Cause: optional(string()) })),
});

/**
 * The last error as one short line: its name and message, never a stack. AWS puts Lambda's JSON
 * `{errorType, errorMessage, trace}` into the Cause; a Cause that is not that JSON is taken as the message.
 */
function lastErrorOf(failure: { Error?: string | undefined; Cause?: string | undefined }): string {
  const cause = failure.Cause ?? '';
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed === 'object') message = String(parsed.errorMessage ?? '');
  } catch {
    // Not JSON: the message as it is.
  }
  return `${failure.Error ?? 'Error'}${message ? `: ${message}` : ''}`.slice(0, 300);
}

/**
 * Webhook workflow task: delivers one event to one of an app's webhooks (the URL and signing secret
 * read from its Secrets Manager secret), or, with `giveUp`, records that the retries are spent.
 */
export const handler = async (event: unknown) => {
  const { giveUp, ...delivery } = parseTaskInput('DeliverWebhook', input, event);
  const deps = {
    registry,
    secretsManager: secretsManagerClient,
    clock: () => new Date(),
    ...(process.env.CONSOLE_URL ? { consoleUrl: process.env.CONSOLE_URL } : {}),
  };
  if (giveUp) return giveUpWebhook(deps, delivery as WebhookDeliveryInput, lastErrorOf(giveUp));
  return deliverWebhook(deps, delivery as WebhookDeliveryInput);
};
