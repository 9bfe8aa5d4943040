import { rotationRef } from '../contract/ids.ts';
import type { HandoffReminderOutput } from '../contract/workflows.ts';
import { secretsManagerClient } from '../shared/aws/secretsManager.ts';
import { sfnClient } from '../shared/aws/sfn.ts';
import { remindOrGiveUp } from '../shared/hubspotRotation.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

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
