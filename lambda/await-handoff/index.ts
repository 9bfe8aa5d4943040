import { extend, maxLength, minLength, string } from 'zod/mini';
import { rotationRef } from '../contract/ids.ts';
import { awaitHandoff } from '../domain/hubspotRotation.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

const input = extend(rotationRef, { taskToken: string().check(minLength(1), maxLength(2048)) });

/**
 * Workflow task (`.waitForTaskToken`): keeps the task token so that `rotor submit` can wake the workflow
 * with the handed-over token's version id. Its own result is ignored; the callback's is the task's.
 */
export const handler = async (event: unknown) => {
  const { appId, rotationId, taskToken } = parseTaskInput('AwaitHandoff', input, event);
  return awaitHandoff(
    { registry, secretsManager: secretsManagerClient, sfn: sfnClient, clock: () => new Date() },
    appId,
    rotationId,
    taskToken,
  );
};
