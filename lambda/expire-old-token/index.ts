import { rotationRef } from '../contract/ids.ts';
import { secretsManagerClient } from '../shared/aws/secretsManager.ts';
import { checkTokenAtHubSpot } from '../shared/hubspotRotation.ts';
import { expireOldToken, isInGrace } from '../shared/lifecycle.ts';
import { registry } from '../shared/registryFromEnv.ts';
import { parseTaskInput } from '../shared/taskInput.ts';

const deps = { registry, secretsManager: secretsManagerClient, clock: () => new Date() };

/**
 * Workflow task: the grace period is over; revoke the old token and drop its AWSPREVIOUS label. For a
 * HubSpot app it first asks HubSpot whether it refuses the old token now (HubSpot expires it, not Rotor);
 * `hubspotStillValid` tells the workflow to warn the admins instead of reporting completion.
 */
export const handler = async (event: unknown) => {
  const { appId, rotationId } = parseTaskInput('ExpireOldToken', rotationRef, event);
  const app = await registry.getApp(appId);
  const check =
    app.issuer === 'hubspot' && app.activeRotation && (await isInGrace(deps, appId, rotationId))
      ? await checkTokenAtHubSpot(deps, app, app.activeRotation.oldVersionId, 'old')
      : undefined;
  const expired = await expireOldToken(deps, appId, rotationId, 'rotor-workflow', check);
  return { expired, hubspotStillValid: check !== undefined && check.verdict !== 'refused' };
};
