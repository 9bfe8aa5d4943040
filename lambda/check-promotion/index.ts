import { rotationRef } from '../contract/ids.ts';
import type { PromotionOutput } from '../contract/workflows.ts';
import { checkPromotion } from '../domain/lifecycle.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

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
