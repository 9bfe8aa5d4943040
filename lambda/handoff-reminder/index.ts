import { rotationRef } from '../contract/ids.ts';
import type { HandoffReminderOutput } from '../contract/workflows.ts';
import { remindOrGiveUp } from '../domain/hubspotRotation.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

/**
 * Workflow task: a day passed without a handoff. Counts a reminder, or fails with RotationFailedError
 * (rolled back, ROTATION_FAILED) once the app's handoff time is over.
 */
export const handler = async (event: unknown): Promise<HandoffReminderOutput> => {
  const { appId, rotationId } = parseTaskInput('HandoffReminder', rotationRef, event);
  return remindOrGiveUp(
    { registry, secretsManager: secretsManagerClient, sfn: sfnClient, clock: () => new Date() },
    appId,
    rotationId,
  );
};
