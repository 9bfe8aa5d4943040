import { rotationRef } from '../contract/ids.ts';
import type { PromotionOutput } from '../contract/workflows.ts';
import { secretsManagerClient } from '../shared/aws/secretsManager.ts';
import { checkPromotion } from '../shared/lifecycle.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

/**
 * Workflow task: has the hook made the new token current? Throws RotationPendingError (retried)
 * until it has, RotationFailedError (rolled back) if a step failed.
 */
export const handler = async (event: unknown): Promise<PromotionOutput> => {
  const { appId, rotationId } = parseTaskInput('CheckPromotion', rotationRef, event);
  return checkPromotion(
    { registry, secretsManager: secretsManagerClient, clock: () => new Date() },
    appId,
    rotationId,
  );
};
