import { appRef } from '../contract/ids.ts';
import { sesClient } from '../shared/aws/ses.ts';
import { deliverOutbox } from '../shared/notifications/outbox.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { requiredSetting } from '../shared/settings.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

const senderAddress = requiredSetting('SENDER_ADDRESS');

/**
 * Workflow task: sends the emails the app's outbox holds (each queued by the change of state that caused
 * it) to the app's admins, and customers where it concerns them.
 */
export const handler = async (event: unknown) => {
  const { appId } = parseTaskInput('Notify', appRef, event);
  return deliverOutbox({ registry, ses: sesClient, senderAddress, clock: () => new Date() }, appId);
};
