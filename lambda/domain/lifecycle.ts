import { createHash } from 'node:crypto';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { RotationMode } from '../contract/appSettings.ts';
import { HOUR_SECONDS } from '../contract/duration.ts';
import { RotationFailedError, RotationPendingError, ValidationError } from '../contract/errors.ts';
import type { PromotionOutput, RollbackOutput } from '../contract/workflows.ts';
import { clearStalePending, stagesOf } from '../integrations/secretLabels.ts';
import { countRotation } from '../notifications/rotorMetrics.ts';
import { NOTICE_BEFORE_EXPIRY_SECONDS, noticeAtOf } from '../store/dueAt.ts';
import type {
  ActiveRotation,
  AppRecord,
  PendingNotice,
  RotationRecord,
  RotationTrigger,
} from '../store/model.ts';
import {
  type EndingRequest,
  endRotation,
  finishPromotion,
  type LifecycleDependencies,
  settleApp,
} from './endings.ts';

export type { LifecycleDependencies } from './endings.ts';

/** The grace periods a rotation may have: 1 hour to 30 days. */
export const GRACE_LIMITS = { min: HOUR_SECONDS, max: 30 * 24 * HOUR_SECONDS } as const;

/**
 * The Secrets Manager version id of a rotation's new token: derived from the rotation id, so every
 * retry of the workflow asks Secrets Manager for the same version (its ClientRequestToken).
 */
export function versionIdFor(rotationId: string): string {
  const hex = createHash('sha256').update(`rotor-version:${rotationId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface RotationRequest {
  readonly appId: string;
  readonly rotationId: string;
  readonly mode: RotationMode;
  /** @default the app's grace period */
  readonly graceSeconds?: number;
  readonly trigger: RotationTrigger;
  readonly startedBy: string;
  readonly reason?: string;
  readonly executionArn?: string;
}

/**
 * Takes the rotation lock (ACTIVE → ROTATING) with one conditional write and records who started
 * the rotation in the audit log. The operator API calls it before it starts the workflow, so that of
 * many concurrent requests exactly one wins; the workflow's StartRotation task calls it again (through
 * {@link startRotation}) and finds its own lock. Another rotation in progress is a RotationConflictError.
 */
export async function lockRotation(
  deps: LifecycleDependencies,
  request: RotationRequest,
): Promise<{ app: AppRecord; rotation: ActiveRotation }> {
  // Whatever an interrupted action left claimed on the app is finished first, never left to block.
  const { app } = await settleApp(deps, await deps.registry.apps.getApp(request.appId));
  const graceSeconds = request.graceSeconds ?? app.graceSeconds;
  if (!Number.isInteger(graceSeconds) || graceSeconds < GRACE_LIMITS.min || graceSeconds > GRACE_LIMITS.max) {
    throw new ValidationError(`grace must be from 1h to 30d (got ${graceSeconds} seconds)`);
  }
  if (app.issuer === 'hubspot' && request.mode !== 'expire-later') {
    throw new ValidationError(
      `app "${app.appId}" is a hubspot app: it rotates with --expire later (HubSpot's "Rotate and expire later"); ` +
        `end the grace period early with "rotor expire-now ${app.appId}"`,
    );
  }
  if (app.issuer === 'hubspot' && graceSeconds !== app.graceSeconds) {
    throw new ValidationError(
      `app "${app.appId}" is a hubspot app: its grace period is HubSpot's 7 days, so leave --grace out`,
    );
  }
  const now = deps.clock().toISOString();
  const rotation: ActiveRotation = {
    rotationId: request.rotationId,
    mode: request.mode,
    graceSeconds,
    // Captured now, like the grace period: a later change of the app's setting leaves this rotation alone.
    noticeSeconds: app.noticeBeforeSeconds ?? NOTICE_BEFORE_EXPIRY_SECONDS,
    trigger: request.trigger,
    startedBy: request.startedBy,
    ...(request.reason ? { reason: request.reason } : {}),
    startedAt: now,
    oldVersionId: app.currentVersionId,
    newVersionId: versionIdFor(request.rotationId),
    oldTokenIssuedAt: app.tokenIssuedAt,
    ...(request.executionArn ? { executionArn: request.executionArn } : {}),
  };
  // Other systems hear that the rotation started (EventBridge, webhooks: no email), and a HubSpot rotation
  // begins by asking the admins for the new token: both are queued with the lock, so neither is lost.
  const notices: PendingNotice[] = [{ event: 'ROTATION_STARTED', rotationId: rotation.rotationId, at: now }];
  if (app.issuer === 'hubspot') {
    notices.push({ event: 'HANDOFF_REQUESTED', rotationId: rotation.rotationId, at: now });
  }
  const locked = await deps.registry.apps.lockForRotation(app.appId, rotation, now, notices);
  const active = locked.app.activeRotation ?? rotation;
  // The API locks first and the workflow's StartRotation finds that lock: only the call that took it counts.
  if (locked.taken)
    countRotation('started', { appId: app.appId, rotationId: active.rotationId }, deps.metrics);
  await deps.registry.audit.appendAudit({
    at: active.startedAt,
    eventId: `${active.rotationId}:started`,
    appId: app.appId,
    action: 'rotation.start',
    actor: active.startedBy,
    outcome: 'succeeded',
    rotationId: active.rotationId,
    detail: `${active.mode} rotation (${active.trigger})${active.reason ? `: ${active.reason}` : ''}`,
  });
  return { app, rotation: active };
}

/**
 * Takes the rotation lock (see {@link lockRotation}; already held when the operator API started the
 * rotation) and asks Secrets Manager to rotate the secret, which calls the rotation hook to create,
 * test and promote the new token. Calling it again for the same rotation changes nothing.
 */
export async function startRotation(
  deps: LifecycleDependencies,
  request: RotationRequest,
): Promise<{ rotation: ActiveRotation; issuer: AppRecord['issuer'] }> {
  const { app, rotation } = await lockRotation(deps, request);
  // HubSpot mints its tokens itself: the workflow asks the admins to hand the new one over instead.
  if (app.issuer === 'managed') await requestSecretRotation(deps, app, rotation);
  return { rotation, issuer: app.issuer };
}

async function requestSecretRotation(deps: LifecycleDependencies, app: AppRecord, rotation: ActiveRotation) {
  const versionId = rotation.newVersionId as string;
  // A rotation that ended while Secrets Manager still ran the hook may have left its AWSPENDING behind.
  await clearStalePending(deps.secretsManager, app.secretArn, versionId);
  try {
    await deps.secretsManager.send(
      new RotateSecretCommand({ SecretId: app.secretArn, ClientRequestToken: versionId }),
    );
  } catch (error) {
    // A retry finds its own rotation already under way or done; anything else is a real failure.
    const labels = (await stagesOf(deps.secretsManager, app.secretArn))[versionId] ?? [];
    if (labels.includes('AWSPENDING') || labels.includes('AWSCURRENT')) return;
    throw new RotationFailedError(
      'RotateSecret',
      `Secrets Manager refused to rotate: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Where a rotation stands once its new token is current (CheckPromotion's answer). */
export type Promotion = PromotionOutput;

/** The promotion a rotation's history record describes. */
function promotionOf(
  rotation: Pick<RotationRecord, 'mode' | 'expiresAt' | 'graceSeconds' | 'noticeSeconds'>,
): Promotion {
  if (rotation.mode === 'expire-now' || !rotation.expiresAt) return { mode: rotation.mode };
  const noticeAt = noticeAtOf(rotation);
  return { mode: rotation.mode, expiresAt: rotation.expiresAt, ...(noticeAt ? { noticeAt } : {}) };
}

/**
 * Tells whether the rotation hook has made the new token current. Throws RotationPendingError while
 * it has not (the workflow retries with backoff; a committed rotation whose hook stopped is finished by
 * the rollback, which rolls it forward), and RotationFailedError when the hook recorded a failed step,
 * a rollback was claimed, or the rotation ended without promotion.
 */
export async function checkPromotion(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
): Promise<Promotion> {
  const app = await deps.registry.apps.getApp(appId);
  const rotation = app.activeRotation?.rotationId === rotationId ? app.activeRotation : undefined;
  if (rotation && app.state === 'ROTATING') {
    if (rotation.ending === 'rollback') {
      throw new RotationFailedError(
        rotation.failure?.step ?? 'RollBack',
        'the rotation is being rolled back',
      );
    }
    if (rotation.failure && !rotation.committedAt) {
      throw new RotationFailedError(rotation.failure.step, rotation.failure.message);
    }
    throw new RotationPendingError(
      `rotation ${rotationId} of app "${appId}" has not made its new token current yet`,
    );
  }
  if (rotation && app.state === 'GRACE') return promotionOf(rotation);
  const record = await deps.registry.rotations.findRotation(appId, rotationId);
  if (!record) {
    throw new RotationFailedError(
      'CheckPromotion',
      `rotation ${rotationId} of app "${appId}" is not recorded`,
    );
  }
  if (record.status === 'failed' || record.status === 'rotating') {
    throw new RotationFailedError(
      record.failedStep ?? 'unknown',
      `rotation ${rotationId} ended without promotion`,
    );
  }
  // An execution that joins a rotation someone ended meanwhile (a sweep's successor that lost its
  // race with a cancel) has no grace period to wait out.
  if (record.status === 'cancelled' || (record.status === 'completed' && record.mode === 'expire-later')) {
    return { mode: record.mode, ended: true };
  }
  return promotionOf(record);
}

/**
 * Whether this rotation is still waiting in its grace period. An ending someone claimed and did not
 * finish is finished now (the rotation then no longer waits). With `queueNotice`, the 24-hour notice is
 * queued in the same write that marks it due, once per grace period, whoever (workflow or sweep) comes first.
 */
export async function checkGrace(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  options: { queueNotice?: boolean } = {},
): Promise<boolean> {
  const app = await deps.registry.apps.getApp(appId);
  const rotation = app.activeRotation?.rotationId === rotationId ? app.activeRotation : undefined;
  if (rotation?.ending) {
    await settleApp(deps, app);
    return false;
  }
  if (app.state !== 'GRACE' || !rotation) return false;
  if (options.queueNotice)
    await deps.registry.apps.queueExpiryNotice(appId, rotationId, deps.clock().toISOString());
  return true;
}

/** {@link checkGrace} without the notice: whether this rotation is still waiting in its grace period. */
export async function isInGrace(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
): Promise<boolean> {
  return checkGrace(deps, appId, rotationId);
}

/** What an operator's ending carries: HubSpot's answer, the request, and the waiting execution to stop. */
type EndingOptions = Pick<EndingRequest, 'check' | 'request' | 'stop'>;

function endingOptions({ check, request, stop }: EndingOptions): EndingOptions {
  return { ...(check ? { check } : {}), ...(request ? { request } : {}), ...(stop ? { stop } : {}) };
}

/**
 * Ends a grace period: the old token is revoked and loses its AWSPREVIOUS label, and the app is ACTIVE
 * again, with `event` queued (ROTATION_COMPLETED when the grace period ran out, TOKEN_INVALIDATED for
 * "expire now", HUBSPOT_TOKEN_STILL_VALID when HubSpot still takes the old token). Used when the grace
 * period runs out, for "expire now", and by the sweep's repair. Returns whether the old token is now
 * expired by this or an earlier expiry of the rotation; false when the rotation ended otherwise.
 */
export async function expireOldToken(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  endedBy: string,
  options: {
    event?: 'ROTATION_COMPLETED' | 'TOKEN_INVALIDATED' | 'HUBSPOT_TOKEN_STILL_VALID';
  } & EndingOptions = {},
): Promise<boolean> {
  const ended = await endRotation(deps, appId, rotationId, 'expire', {
    ...endingOptions(options),
    by: endedBy,
    event: options.event ?? 'ROTATION_COMPLETED',
  });
  if (ended) return true;
  const app = await deps.registry.apps.getApp(appId);
  return app.lastRotation?.rotationId === rotationId && app.lastRotation.outcome === 'completed';
}

/**
 * Cancels a rotation in its grace period, as HubSpot's "cancel rotation" does: the old token becomes
 * current again (and stays valid), the new token is revoked, ROTATION_CANCELLED is queued. Returns false
 * when there is no grace period to cancel.
 */
export async function cancelGraceRotation(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  endedBy: string,
  options: EndingOptions = {},
): Promise<boolean> {
  return endRotation(deps, appId, rotationId, 'cancel', {
    ...endingOptions(options),
    by: endedBy,
    event: 'ROTATION_CANCELLED',
  });
}

/** What a rollback found: it rolled the rotation back, the rotation was committed (and is now promoted), or nothing to do. */
export type RollbackOutcome = RollbackOutput['outcome'];

/**
 * Rolls back a rotation that failed before it was committed to its new token: the old token stays
 * current and valid, a half-made pending version is removed, the new token is revoked, the lock is
 * released and ROTATION_FAILED queued. A rotation that was committed (the hook's finishSecret claimed it,
 * or it is promoted already) is finished instead: a revoked token never comes back, and a token that
 * consumers may already use is never taken away. `endedBy` names who rolls back: the workflow's
 * catch, or `rotor-sweep` for a rotation the sweep found stuck (counted in `AppsStuck` too).
 */
export async function rollbackRotation(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  failure: { step: string; message: string },
  endedBy = 'rotor-workflow',
): Promise<RollbackOutcome> {
  const app = await deps.registry.apps.getApp(appId);
  const rotation = app.activeRotation?.rotationId === rotationId ? app.activeRotation : undefined;
  if (rotation && app.state === 'ROTATING' && !rotation.failure) {
    await deps.registry.apps.recordStepFailure(appId, rotationId, {
      ...failure,
      at: deps.clock().toISOString(),
    });
  }
  if (await endRotation(deps, appId, rotationId, 'rollback', { by: endedBy, event: 'ROTATION_FAILED' })) {
    return 'rolled-back';
  }
  const now = await deps.registry.apps.getApp(appId);
  const active = now.activeRotation?.rotationId === rotationId ? now.activeRotation : undefined;
  if (active && now.state === 'ROTATING' && active.committedAt) {
    await finishPromotion(deps, now);
    return 'promoted';
  }
  if (active && now.state === 'GRACE') return 'promoted';
  const last = now.lastRotation?.rotationId === rotationId ? now.lastRotation : undefined;
  if (last?.outcome === 'failed') return 'rolled-back';
  return last ? 'promoted' : 'nothing';
}
