import type { SFNClient } from '@aws-sdk/client-sfn';
import { cancelGraceRotation, expireOldToken, type LifecycleDependencies } from './lifecycle.ts';
import type { ActiveRotation, AppRecord, RotationEnding } from './model.ts';
import type { NotificationRequest } from './notifications/sendNotification.ts';
import { conflictError } from './Registry.ts';
import { stopRotationWorkflow } from './workflows.ts';

export interface OperatorDependencies extends LifecycleDependencies {
  readonly sfn: SFNClient;
  readonly rotationStateMachineArn: string;
  readonly notify: (request: NotificationRequest) => Promise<unknown>;
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
): Promise<ActiveRotation> {
  const rotation = graceRotationFor(await deps.registry.getApp(appId), 'expire');
  if (!(await expireOldToken(deps, appId, rotation.rotationId, actor))) {
    throw conflictError(await deps.registry.getApp(appId));
  }
  await stopRotationWorkflow(
    deps.sfn,
    deps.rotationStateMachineArn,
    rotation.rotationId,
    `expired now by ${actor}`,
  );
  await deps.notify({ appId, rotationId: rotation.rotationId, event: 'TOKEN_INVALIDATED' });
  return rotation;
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
): Promise<ActiveRotation> {
  const rotation = graceRotationFor(await deps.registry.getApp(appId), 'cancel');
  if (!(await cancelGraceRotation(deps, appId, rotation.rotationId, actor))) {
    throw conflictError(await deps.registry.getApp(appId));
  }
  await stopRotationWorkflow(
    deps.sfn,
    deps.rotationStateMachineArn,
    rotation.rotationId,
    `cancelled by ${actor}`,
  );
  await deps.notify({ appId, rotationId: rotation.rotationId, event: 'ROTATION_CANCELLED' });
  return rotation;
}
