import type { SFNClient } from '@aws-sdk/client-sfn';
import { HubSpotUnavailableError, RotationConflictError } from '../contract/errors.ts';
import type { HubSpotClientOptions } from '../integrations/hubspot.ts';
import { executionArnFor, stopExecution } from '../integrations/workflows.ts';
import { conflictError } from '../store/conflictError.ts';
import type { ActiveRotation, AppRecord, HubSpotCheck, RotationEnding } from '../store/model.ts';
import { CANCEL_MARGIN_MS, type LifecycleDependencies, settleApp } from './endings.ts';
import { checkTokenAtHubSpot } from './hubspotRotation.ts';
import { cancelGraceRotation, expireOldToken } from './lifecycle.ts';
import { stopLeftExecutions } from './pendingStops.ts';

export interface OperatorDependencies extends LifecycleDependencies {
  readonly sfn: SFNClient;
  readonly rotationStateMachineArn: string;
  /** Sends the emails the app's outbox holds (the action's own email was queued with its change). */
  readonly deliver: (appId: string) => Promise<unknown>;
  /** For tests: the backoff's sleep and the timeout of HubSpot calls; the API: their time budget. */
  readonly hubspotClient?: Pick<HubSpotClientOptions, 'sleep' | 'timeoutMs' | 'signal'>;
}

/** What an operator's expire-now or cancel did, and what it could not do after the change itself. */
export type GraceActionResult = ActiveRotation & {
  readonly hubspotCheck?: HubSpotCheck;
  /** The change is done and recorded; these are the side effects that failed (retried by the sweep). */
  readonly warnings: readonly string[];
};

/** The rotation in its grace period that an operator may end, or a RotationConflictError that names what is there. */
function graceRotationOf(app: AppRecord): ActiveRotation {
  const rotation = app.activeRotation;
  if (app.state === 'GRACE' && rotation && !rotation.ending) return rotation;
  throw conflictError(app);
}

/** Who asks for an operator action: the caller's ARN, and the request (its Idempotency-Key, hashed with the caller). */
export interface OperatorRequest {
  readonly actor: string;
  readonly request?: string;
}

/**
 * Finishes whatever an interrupted action left claimed on the app. When that was this caller's own
 * `ending`, or the same request (its Idempotency-Key) ended the app's last rotation this way (it failed
 * after the change, e.g. a 5xx on a later write), the rotation it ended is returned: the retry finds its
 * work done and answers as the first request should have, instead of "no rotation running".
 */
async function settleFor(
  deps: OperatorDependencies,
  appId: string,
  ending: RotationEnding,
  { actor, request }: OperatorRequest,
): Promise<{ app: AppRecord; resumed?: ActiveRotation }> {
  const { app, finished } = await settleApp(deps, await deps.registry.apps.getApp(appId));
  const own = finished?.ending === ending && finished.endedBy === actor;
  const rotationId = own ? finished.rotationId : app.lastRotation?.rotationId;
  if (!rotationId || app.state !== 'ACTIVE' || (!own && !request)) return { app };
  const record = await deps.registry.rotations.findRotation(appId, rotationId);
  const outcome = ending === 'cancel' ? 'cancelled' : 'completed';
  const sameRequest = own || (record?.endingRequest !== undefined && record.endingRequest === request);
  // Only a grace period can be ended by an operator: an expire-now rotation is not "expired now" again.
  const ended = record?.status === outcome && record.mode === 'expire-later' && record.endedBy === actor;
  return ended && sameRequest ? { app, resumed: record } : { app };
}

/**
 * The side effects after the change: the outbox is delivered (the email was queued with the change, so
 * a failure here is retried by the sweep) and the waiting execution is stopped (the ending recorded it
 * as left to stop, so a failure here is the sweep's to repeat). Neither turns a done change into a
 * failed request.
 */
async function afterEnding(
  deps: OperatorDependencies,
  rotation: ActiveRotation,
  appId: string,
  cause: string,
  hubspotCheck?: HubSpotCheck,
): Promise<GraceActionResult> {
  const warnings: string[] = [];
  try {
    await deps.deliver(appId);
  } catch (error) {
    warnings.push(`the admins could not be emailed yet (${(error as Error).name}); the next sweep sends it`);
  }
  try {
    const stop = (executionArn: string, why: string) => stopExecution(deps.sfn, executionArn, why);
    const app = await deps.registry.apps.getApp(appId);
    const [failed] = (await stopLeftExecutions(deps.registry, stop, app, cause)).failed;
    if (failed) throw failed;
  } catch (error) {
    warnings.push(
      `the waiting workflow could not be stopped yet (${(error as Error).name}); the next sweep stops it`,
    );
  }
  return { ...rotation, ...(hubspotCheck ? { hubspotCheck } : {}), warnings };
}

/** The execution that waits through a rotation's grace period (the one the sweep started, if it had to). */
function waitingExecution(deps: OperatorDependencies, rotation: ActiveRotation): string {
  return rotation.executionArn ?? executionArnFor(deps.rotationStateMachineArn, rotation.rotationId);
}

/**
 * "Expire now" during a grace period: the old token is revoked at once (and loses AWSPREVIOUS),
 * the app is ACTIVE with the new token, TOKEN_INVALIDATED is queued and sent, the waiting execution is
 * stopped. If the grace period ran out at the same moment, the work is found done. Refused with a
 * RotationConflictError when there is no grace period.
 */
export async function expireNow(
  deps: OperatorDependencies,
  appId: string,
  actor: string,
  request?: string,
): Promise<GraceActionResult> {
  const { app, resumed } = await settleFor(deps, appId, 'expire', { actor, ...(request ? { request } : {}) });
  if (resumed) return afterEnding(deps, resumed, appId, `expired now by ${actor}`);
  const rotation = graceRotationOf(app);
  // HubSpot: Rotor cannot end the old token there; it asks whether an admin did (the email says where).
  const check =
    app.issuer === 'hubspot' ? await checkTokenAtHubSpot(deps, app, rotation.oldVersionId, 'old') : undefined;
  const expired = await expireOldToken(deps, appId, rotation.rotationId, actor, {
    event: 'TOKEN_INVALIDATED',
    ...(check ? { check } : {}),
    ...(request ? { request } : {}),
    stop: waitingExecution(deps, rotation),
  });
  if (!expired) throw conflictError(await deps.registry.apps.getApp(appId));
  return afterEnding(deps, rotation, appId, `expired now by ${actor}`, check);
}

/**
 * "Cancel rotation" during a grace period: the old token is current again and stays valid, the new
 * token is revoked, ROTATION_CANCELLED is queued and sent, the waiting execution is stopped. Refused with
 * a RotationConflictError when there is no grace period, when it ends within a minute, and (HubSpot) when
 * HubSpot no longer accepts the old token: a cancel must never make a dead token current.
 */
export async function cancelRotation(
  deps: OperatorDependencies,
  appId: string,
  actor: string,
  request?: string,
): Promise<GraceActionResult> {
  const { app, resumed } = await settleFor(deps, appId, 'cancel', { actor, ...(request ? { request } : {}) });
  if (resumed) return afterEnding(deps, resumed, appId, `cancelled by ${actor}`);
  const rotation = graceRotationOf(app);
  if (Date.parse(rotation.expiresAt ?? '') - deps.clock().getTime() < CANCEL_MARGIN_MS) {
    throw new RotationConflictError(
      `app "${appId}": the grace period of rotation ${rotation.rotationId} ends at ${rotation.expiresAt}, in less than a minute, so it can no longer be cancelled; the new token stays current`,
    );
  }
  const check = app.issuer === 'hubspot' ? await checkHubSpotCancel(deps, app, rotation) : undefined;
  const ending = {
    ...(check ? { check } : {}),
    ...(request ? { request } : {}),
    stop: waitingExecution(deps, rotation),
  };
  if (!(await cancelGraceRotation(deps, appId, rotation.rotationId, actor, ending))) {
    throw conflictError(await deps.registry.apps.getApp(appId));
  }
  return afterEnding(deps, rotation, appId, `cancelled by ${actor}`, check);
}

/**
 * HubSpot: a cancel makes the old token current again, so HubSpot must still accept it; then Rotor asks
 * about the new one (HubSpot's own "Cancel rotation" revokes it; the email says where to click).
 */
async function checkHubSpotCancel(
  deps: OperatorDependencies,
  app: AppRecord,
  rotation: ActiveRotation,
): Promise<HubSpotCheck | undefined> {
  const old = await checkTokenAtHubSpot(deps, app, rotation.oldVersionId, 'old');
  if (old.verdict === 'refused') {
    throw new RotationConflictError(
      `app "${app.appId}": HubSpot no longer accepts the old token (version ${rotation.oldVersionId}), so cancelling would make a dead token current; nothing was changed; keep the new token and end the grace period with "rotor expire-now ${app.appId}"`,
    );
  }
  if (old.verdict === 'unknown') {
    throw new HubSpotUnavailableError(
      `HubSpot could not be asked whether it still accepts the old token of app "${app.appId}", which a cancel would make current again; nothing was changed; try again in a minute`,
    );
  }
  return rotation.newVersionId ? checkTokenAtHubSpot(deps, app, rotation.newVersionId, 'new') : undefined;
}
