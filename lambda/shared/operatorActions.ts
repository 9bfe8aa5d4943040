import type { SFNClient } from '@aws-sdk/client-sfn';
import type { HubSpotClientOptions } from './hubspot.ts';
import { checkTokenAtHubSpot } from './hubspotRotation.ts';
import { cancelGraceRotation, expireOldToken, type LifecycleDependencies } from './lifecycle.ts';
import type { ActiveRotation, AppRecord, HubSpotCheck, RotationEnding } from './model.ts';
import type { NotificationRequest } from './notifications/sendNotification.ts';
import { conflictError } from './Registry.ts';
import { stopRotationWorkflow } from './workflows.ts';

export interface OperatorDependencies extends LifecycleDependencies {
  readonly sfn: SFNClient;
  readonly rotationStateMachineArn: string;
  readonly notify: (request: NotificationRequest) => Promise<unknown>;
  /** For tests: the backoff's sleep and the timeout of HubSpot calls. */
  readonly hubspotClient?: Pick<HubSpotClientOptions, 'sleep' | 'timeoutMs'>;
}

/** The rotation in its grace period that `ending` may end (or finish ending, after an interruption). */
function graceRotationFor(app: AppRecord, ending: RotationEnding): ActiveRotation {
  const rotation = app.activeRotation;
  if (app.state === 'GRACE' && rotation && (!rotation.ending || rotation.ending === ending)) return rotation;
  throw conflictError(app);
}

/**
 * "Expire now" during a grace period: the old token is revoked at once (and loses AWSPREVIOUS),
 * the app is ACTIVE with the new token, the waiting execution is stopped and the admins get
 * TOKEN_INVALIDATED. Refused with a RotationConflictError when there is no grace period.
 */
export async function expireNow(
  deps: OperatorDependencies,
  appId: string,
  actor: string,
): Promise<ActiveRotation & { hubspotCheck?: HubSpotCheck }> {
  const app = await deps.registry.getApp(appId);
  const rotation = graceRotationFor(app, 'expire');
  // HubSpot: Rotor cannot end the old token there; it asks whether an admin did (the email says where).
  const check =
    app.issuer === 'hubspot' ? await checkTokenAtHubSpot(deps, app, rotation.oldVersionId, 'old') : undefined;
  if (!(await expireOldToken(deps, appId, rotation.rotationId, actor, check))) {
    throw conflictError(await deps.registry.getApp(appId));
  }
  await stopRotationWorkflow(
    deps.sfn,
    deps.rotationStateMachineArn,
    rotation.rotationId,
    `expired now by ${actor}`,
  );
  await deps.notify({ appId, rotationId: rotation.rotationId, event: 'TOKEN_INVALIDATED' });
  return { ...rotation, ...(check ? { hubspotCheck: check } : {}) };
}

/**
 * "Cancel rotation" during a grace period: the old token is current again and stays valid, the new
 * token is revoked, the waiting execution is stopped and the admins get ROTATION_CANCELLED.
 * Refused with a RotationConflictError when there is no grace period.
 */
export async function cancelRotation(
  deps: OperatorDependencies,
  appId: string,
  actor: string,
): Promise<ActiveRotation & { hubspotCheck?: HubSpotCheck }> {
  const app = await deps.registry.getApp(appId);
  const rotation = graceRotationFor(app, 'cancel');
  // HubSpot: "Cancel rotation" there revokes the new token; Rotor asks whether an admin clicked it.
  const check =
    app.issuer === 'hubspot' && rotation.newVersionId
      ? await checkTokenAtHubSpot(deps, app, rotation.newVersionId, 'new')
      : undefined;
  if (!(await cancelGraceRotation(deps, appId, rotation.rotationId, actor, check))) {
    throw conflictError(await deps.registry.getApp(appId));
  }
  await stopRotationWorkflow(
    deps.sfn,
    deps.rotationStateMachineArn,
    rotation.rotationId,
    `cancelled by ${actor}`,
  );
  await deps.notify({ appId, rotationId: rotation.rotationId, event: 'ROTATION_CANCELLED' });
  return { ...rotation, ...(check ? { hubspotCheck: check } : {}) };
}
