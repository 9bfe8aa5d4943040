import { appRef } from '../contract/ids.ts';
import { eventPublishingFromEnv } from '../integrations/aws/eventBridge.ts';
import { sesClient } from '../integrations/aws/ses.ts';
import { webhookStartingFromEnv } from '../integrations/aws/webhookStarting.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { requiredSetting } from '../integrations/settings.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';
import { deliverOutbox } from '../notifications/outbox.ts';

const senderAddress = requiredSetting('SENDER_ADDRESS');
const consoleUrl = requiredSetting('CONSOLE_URL');
const events = eventPublishingFromEnv();
const webhooks = webhookStartingFromEnv();

/**
 * Workflow task: sends the emails the app's outbox holds (each queued by the change of state that caused
 * it) to the app's admins, and customers where it concerns them, puts each on the event bus, and starts its deliveries to the app's webhooks.
 */
export const handler = async (event: unknown) => {
  const { appId } = parseTaskInput('Notify', appRef, event);
  return deliverOutbox(
    {
      registry,
      ses: sesClient,
      senderAddress,
      consoleUrl,
      clock: () => new Date(),
      ...(events ? { events } : {}),
      ...(webhooks ? { webhooks } : {}),
    },
    appId,
  );
};
