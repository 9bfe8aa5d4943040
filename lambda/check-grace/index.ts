import { rotationRef } from '../contract/ids.ts';
import { secretsManagerClient } from '../shared/aws/secretsManager.ts';
import { isInGrace } from '../shared/lifecycle.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

/** Workflow task: after a wait, is this rotation still in its grace period, or did someone end it? */
export const handler = async (event: unknown) => {
  const { appId, rotationId } = parseTaskInput('CheckGrace', rotationRef, event);
  const inGrace = await isInGrace(
    { registry, secretsManager: secretsManagerClient, clock: () => new Date() },
    appId,
    rotationId,
  );
  return { inGrace };
};
