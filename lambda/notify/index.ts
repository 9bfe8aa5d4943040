import { extend, maxLength, optional, string, enum as zEnum } from 'zod/mini';
import { appRef } from '../contract/ids.ts';
import { NOTIFICATION_EVENTS } from '../contract/notificationEvents.ts';
import { sesClient } from '../shared/aws/ses.ts';
import { sendNotification } from '../shared/notifications/sendNotification.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { requiredSetting } from '../shared/settings.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

const senderAddress = requiredSetting('SENDER_ADDRESS');
const input = extend(appRef, {
  event: zEnum(NOTIFICATION_EVENTS),
  occasion: optional(string().check(maxLength(200))),
});

/** Workflow task: emails one event to the app's admins (and customers where it concerns them). */
export const handler = async (event: unknown) => {
  const request = parseTaskInput('Notify', input, event);
  const outcome = await sendNotification(
    { registry, ses: sesClient, senderAddress, clock: () => new Date() },
    request,
  );
  return { sent: outcome.sent.length, skipped: outcome.skipped.length, failed: outcome.failed.length };
};
