import { rotationRef } from '../contract/ids.ts';
import { secretsManagerClient } from '../shared/aws/secretsManager.ts';
import { sfnClient } from '../shared/aws/sfn.ts';
import { promoteHandoff } from '../shared/hubspotRotation.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

/** Workflow task: makes the handed-over HubSpot token current and starts the 7-day grace period. */
export const handler = async (event: unknown) => {
  const { appId, rotationId } = parseTaskInput('PromoteHandoff', rotationRef, event);
  await promoteHandoff(
    { registry, secretsManager: secretsManagerClient, sfn: sfnClient, clock: () => new Date() },
    appId,
    rotationId,
  );
  return { promoted: true };
};
