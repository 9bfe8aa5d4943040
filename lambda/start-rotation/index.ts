import { extend, number, object, optional, string, enum as zEnum } from 'zod/mini';
import { MODES } from '../contract/appSettings.ts';
import { rotationRef } from '../contract/ids.ts';
import type { StartRotationOutput } from '../contract/workflows.ts';
import { startRotation } from '../domain/lifecycle.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

const input = object({
  request: extend(rotationRef, {
    mode: zEnum(MODES),
    graceSeconds: optional(number()),
    trigger: zEnum(['operator', 'schedule', 'secrets-manager']),
    startedBy: string(),
    reason: optional(string()),
  }),
  executionArn: optional(string()),
});

/**
 * Workflow task: takes the rotation lock and, for a managed app, asks Secrets Manager to rotate (which
 * runs the hook); a HubSpot app's workflow goes on to ask its admins for the new token.
 */
export const handler = async (event: unknown): Promise<StartRotationOutput> => {
  const { request, executionArn } = parseTaskInput('StartRotation', input, event);
  const { rotation, issuer } = await startRotation(
    { registry, secretsManager: secretsManagerClient, clock: () => new Date() },
    { ...request, ...(executionArn ? { executionArn } : {}) },
  );
  return { rotationId: rotation.rotationId, newVersionId: rotation.newVersionId, issuer };
};
