import { boolean, extend, optional } from 'zod/mini';
import { rotationRef } from '../contract/ids.ts';
import type { GraceOutput } from '../contract/workflows.ts';
import { checkGrace } from '../domain/lifecycle.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

const input = extend(rotationRef, { queueNotice: optional(boolean()) });

/**
 * Workflow task: after a wait, is this rotation still in its grace period, or did someone end it? With
 * `queueNotice`, the 24-hour notice is queued in the app's outbox (once, whoever comes first).
 */
export const handler = async (event: unknown): Promise<GraceOutput> => {
  const { appId, rotationId, queueNotice } = parseTaskInput('CheckGrace', input, event);
  const inGrace = await checkGrace(
    { registry, secretsManager: secretsManagerClient, clock: () => new Date() },
    appId,
    rotationId,
    { queueNotice: queueNotice === true },
  );
  return { inGrace };
};
