import { secretsManagerClient } from '../shared/aws/secretsManager.ts';
import { rotationRef } from '../shared/ids.ts';
import { expireOldToken } from '../shared/lifecycle.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

/** Workflow task: the grace period is over; revoke the old token and drop its AWSPREVIOUS label. */
export const handler = async (event: unknown) => {
  const { appId, rotationId } = parseTaskInput('ExpireOldToken', rotationRef, event);
  const expired = await expireOldToken(
    { registry, secretsManager: secretsManagerClient, clock: () => new Date() },
    appId,
    rotationId,
    'rotor-workflow',
  );
  return { expired };
};
