import { rotationRef } from '../contract/ids.ts';
import { promoteHandoff } from '../domain/hubspotRotation.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

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
