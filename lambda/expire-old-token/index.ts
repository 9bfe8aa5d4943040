import { rotationRef } from '../contract/ids.ts';
import type { ExpiryOutput } from '../contract/workflows.ts';
import { checkTokenAtHubSpot } from '../domain/hubspotRotation.ts';
import { expireOldToken, isInGrace } from '../domain/lifecycle.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

const deps = { registry, secretsManager: secretsManagerClient, clock: () => new Date() };

/**
 * Workflow task: the grace period is over; revoke the old token and drop its AWSPREVIOUS label, queuing
 * ROTATION_COMPLETED. For a HubSpot app it first asks HubSpot whether it refuses the old token now
 * (HubSpot expires it, not Rotor); if HubSpot still takes it, HUBSPOT_TOKEN_STILL_VALID is queued instead.
 */
export const handler = async (event: unknown): Promise<ExpiryOutput> => {
  const { appId, rotationId } = parseTaskInput('ExpireOldToken', rotationRef, event);
  const app = await registry.apps.getApp(appId);
  const check =
    app.issuer === 'hubspot' && app.activeRotation && (await isInGrace(deps, appId, rotationId))
      ? await checkTokenAtHubSpot(deps, app, app.activeRotation.oldVersionId, 'old')
      : undefined;
  const stillValid = check !== undefined && check.verdict !== 'refused';
  const expired = await expireOldToken(deps, appId, rotationId, 'rotor-workflow', {
    event: stillValid ? 'HUBSPOT_TOKEN_STILL_VALID' : 'ROTATION_COMPLETED',
    ...(check ? { check } : {}),
  });
  return { expired, hubspotStillValid: stillValid };
};
