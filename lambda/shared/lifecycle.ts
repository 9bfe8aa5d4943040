import { createHash } from 'node:crypto';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { RotationMode } from '../contract/appSettings.ts';
import { HOUR_SECONDS } from '../contract/duration.ts';
import { RotationFailedError, RotationPendingError, ValidationError } from '../contract/errors.ts';
import type { ActiveRotation, AppRecord, HubSpotCheck, RotationTrigger } from './model.ts';
import type { Registry } from './Registry.ts';

/** What the lifecycle operations need; handlers pass the module-scope clients, tests the stand-ins'. */
export interface LifecycleDependencies {
  readonly registry: Registry;
  readonly secretsManager: SecretsManagerClient;
  readonly clock: () => Date;
}

/** The grace periods a rotation may have: 1 hour to 30 days. */
export const GRACE_LIMITS = { min: HOUR_SECONDS, max: 30 * 24 * HOUR_SECONDS } as const;
/** The 24-hour notice goes out only when the grace period is longer than this. */
export const NOTICE_BEFORE_EXPIRY_SECONDS = 24 * HOUR_SECONDS;

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
  deps: Pick<LifecycleDependencies, 'registry' | 'clock'>,
  request: RotationRequest,
): Promise<{ app: AppRecord; rotation: ActiveRotation }> {
  const app = await deps.registry.getApp(request.appId);
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
    trigger: request.trigger,
    startedBy: request.startedBy,
    ...(request.reason ? { reason: request.reason } : {}),
    startedAt: now,
    oldVersionId: app.currentVersionId,
    newVersionId: versionIdFor(request.rotationId),
    oldTokenIssuedAt: app.tokenIssuedAt,
    ...(request.executionArn ? { executionArn: request.executionArn } : {}),
  };
  const locked = await deps.registry.lockForRotation(app.appId, rotation, now);
  const active = locked.activeRotation ?? rotation;
  await deps.registry.appendAudit({
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
  try {
    await deps.secretsManager.send(
      new RotateSecretCommand({ SecretId: app.secretArn, ClientRequestToken: versionId }),
    );
  } catch (error) {
    // A retry finds its own rotation already under way or done; anything else is a real failure.
    const labels = (await describeLabels(deps, app.secretArn))[versionId] ?? [];
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

async function describeLabels(
  deps: LifecycleDependencies,
  secretArn: string,
): Promise<Record<string, string[]>> {
  const secret = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
  return secret.VersionIdsToStages ?? {};
}

/** Where a rotation stands once its new token is current. */
export interface Promotion {
  readonly mode: RotationMode;
  /** When the old token expires (expire-later). */
  readonly expiresAt?: string;
  /** When to send the 24-hour notice (only when the grace period is longer than 24 hours). */
  readonly noticeAt?: string;
}

/**
 * Tells whether the rotation hook has made the new token current. Throws RotationPendingError while
 * it has not (the workflow retries with backoff), and RotationFailedError when the hook recorded a
 * failed step or the rotation ended without promotion.
 */
export async function checkPromotion(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
): Promise<Promotion> {
  const [app, record] = await Promise.all([
    deps.registry.getApp(appId),
    deps.registry.findRotation(appId, rotationId),
  ]);
  if (!record)
    throw new RotationFailedError(
      'CheckPromotion',
      `rotation ${rotationId} of app "${appId}" is not recorded`,
    );
  if (record.status === 'failed') {
    throw new RotationFailedError(record.failedStep ?? 'unknown', `rotation ${rotationId} failed already`);
  }
  if (record.status === 'rotating') {
    const failure = app.activeRotation?.rotationId === rotationId ? app.activeRotation.failure : undefined;
    if (failure) throw new RotationFailedError(failure.step, failure.message);
    throw new RotationPendingError(
      `rotation ${rotationId} of app "${appId}" has not made its new token current yet`,
    );
  }
  if (record.mode === 'expire-now' || !record.expiresAt) return { mode: record.mode };
  const noticeMs = Date.parse(record.expiresAt) - NOTICE_BEFORE_EXPIRY_SECONDS * 1000;
  return {
    mode: record.mode,
    expiresAt: record.expiresAt,
    ...(record.graceSeconds > NOTICE_BEFORE_EXPIRY_SECONDS
      ? { noticeAt: new Date(noticeMs).toISOString() }
      : {}),
  };
}

/** Whether this rotation is still waiting in its grace period (nobody expired or cancelled it). */
export async function isInGrace(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
): Promise<boolean> {
  const app = await deps.registry.getApp(appId);
  return app.state === 'GRACE' && app.activeRotation?.rotationId === rotationId && !app.activeRotation.ending;
}

async function removeLabel(deps: LifecycleDependencies, secretArn: string, label: string, versionId: string) {
  const labels = await describeLabels(deps, secretArn);
  if (!labels[versionId]?.includes(label)) return;
  await deps.secretsManager.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretArn,
      VersionStage: label,
      RemoveFromVersionId: versionId,
    }),
  );
}

/**
 * Ends a grace period: the old token is revoked and loses its AWSPREVIOUS label, and the app is
 * ACTIVE again. Used when the grace period runs out, for "expire now", and by the sweep's repair.
 * Returns false, changing nothing, when the rotation is no longer in its grace period.
 */
export async function expireOldToken(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  endedBy: string,
  hubspotCheck?: HubSpotCheck,
): Promise<boolean> {
  const claimed = await deps.registry.claimEnding(appId, rotationId, 'GRACE', 'expire');
  const rotation = claimed?.activeRotation;
  if (!claimed || !rotation) return false;
  const now = deps.clock().toISOString();
  await deps.registry.setTokenStatus(appId, rotation.oldVersionId, {
    status: 'revoked',
    from: ['grace', 'current'],
    revokedAt: now,
  });
  await removeLabel(deps, claimed.secretArn, 'AWSPREVIOUS', rotation.oldVersionId);
  const done = await deps.registry.completeEnding(
    claimed,
    {
      ...claimed,
      state: 'ACTIVE',
      activeRotation: undefined,
      lastRotation: { rotationId, outcome: 'completed', at: now },
      updatedAt: now,
    },
    { status: 'completed', finishedAt: now, endedBy, ...(hubspotCheck ? { hubspotCheck } : {}) },
  );
  if (done) {
    await deps.registry.appendAudit({
      at: now,
      eventId: `${rotationId}:expired`,
      appId,
      action: 'rotation.expire-old-token',
      actor: endedBy,
      outcome: 'succeeded',
      rotationId,
      detail: `old token version ${rotation.oldVersionId} revoked`,
    });
  }
  return done;
}

/**
 * Cancels a rotation in its grace period, as HubSpot's "cancel rotation" does: the old token becomes
 * current again (and stays valid), the new token is revoked. At every moment the current token is
 * valid: AWSCURRENT moves back first, then the new token is revoked. Returns false when there is no
 * grace period to cancel.
 */
export async function cancelGraceRotation(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  endedBy: string,
  hubspotCheck?: HubSpotCheck,
): Promise<boolean> {
  const claimed = await deps.registry.claimEnding(appId, rotationId, 'GRACE', 'cancel');
  const rotation = claimed?.activeRotation;
  if (!claimed || !rotation?.newVersionId) return false;
  const now = deps.clock().toISOString();
  const labels = await describeLabels(deps, claimed.secretArn);
  if (labels[rotation.newVersionId]?.includes('AWSCURRENT')) {
    await deps.secretsManager.send(
      new UpdateSecretVersionStageCommand({
        SecretId: claimed.secretArn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: rotation.oldVersionId,
        RemoveFromVersionId: rotation.newVersionId,
      }),
    );
  }
  // Secrets Manager moved AWSPREVIOUS onto the revoked version; a label means a valid token.
  await removeLabel(deps, claimed.secretArn, 'AWSPREVIOUS', rotation.newVersionId);
  await deps.registry.setTokenStatus(appId, rotation.oldVersionId, {
    status: 'current',
    from: ['grace'],
    removeExpiry: true,
  });
  await deps.registry.setTokenStatus(appId, rotation.newVersionId, {
    status: 'revoked',
    from: ['current', 'pending'],
    revokedAt: now,
  });
  const done = await deps.registry.completeEnding(
    claimed,
    {
      ...claimed,
      state: 'ACTIVE',
      activeRotation: undefined,
      currentVersionId: rotation.oldVersionId,
      tokenIssuedAt: rotation.oldTokenIssuedAt ?? claimed.tokenIssuedAt,
      lastRotation: { rotationId, outcome: 'cancelled', at: now },
      updatedAt: now,
    },
    { status: 'cancelled', finishedAt: now, endedBy, ...(hubspotCheck ? { hubspotCheck } : {}) },
  );
  if (done) {
    await deps.registry.appendAudit({
      at: now,
      eventId: `${rotationId}:cancelled`,
      appId,
      action: 'rotation.cancel',
      actor: endedBy,
      outcome: 'succeeded',
      rotationId,
      detail: `version ${rotation.oldVersionId} is current again; version ${rotation.newVersionId} revoked`,
    });
  }
  return done;
}

/**
 * Rolls back a rotation that failed before its new token became current for good: the old token
 * stays (or becomes again) current and valid, a half-made pending version is removed, the new
 * token is revoked, and the lock is released. Returns false when there is nothing to roll back.
 */
export async function rollbackRotation(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  failure: { step: string; message: string },
): Promise<boolean> {
  const claimed = await deps.registry.claimEnding(appId, rotationId, 'ROTATING', 'rollback');
  const rotation = claimed?.activeRotation;
  if (!claimed || !rotation) return false;
  const now = deps.clock().toISOString();
  const step = rotation.failure?.step ?? failure.step;
  const message = rotation.failure?.message ?? failure.message;
  const newVersionId = rotation.newVersionId;
  if (newVersionId) {
    const labels = await describeLabels(deps, claimed.secretArn);
    if (labels[newVersionId]?.includes('AWSCURRENT')) {
      await deps.secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: claimed.secretArn,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: rotation.oldVersionId,
          RemoveFromVersionId: newVersionId,
        }),
      );
      await removeLabel(deps, claimed.secretArn, 'AWSPREVIOUS', newVersionId);
    }
    await removeLabel(deps, claimed.secretArn, 'AWSPENDING', newVersionId);
    if (await deps.registry.findTokenVersion(appId, newVersionId)) {
      await deps.registry.setTokenStatus(appId, newVersionId, {
        status: 'revoked',
        from: ['pending', 'current'],
        revokedAt: now,
      });
    }
  }
  const old = await deps.registry.findTokenVersion(appId, rotation.oldVersionId);
  if (old && old.status !== 'current') {
    await deps.registry.setTokenStatus(appId, rotation.oldVersionId, {
      status: 'current',
      from: ['grace', 'revoked'],
      removeExpiry: true,
    });
  }
  const done = await deps.registry.completeEnding(
    claimed,
    {
      ...claimed,
      state: 'ACTIVE',
      activeRotation: undefined,
      currentVersionId: rotation.oldVersionId,
      lastRotation: { rotationId, outcome: 'failed', at: now, failedStep: step },
      updatedAt: now,
    },
    {
      status: 'failed',
      finishedAt: now,
      endedBy: 'rotor-workflow',
      failedStep: step,
      failure: { step, message, at: now },
    },
  );
  if (done) {
    await deps.registry.appendAudit({
      at: now,
      eventId: `${rotationId}:failed`,
      appId,
      action: 'rotation.rollback',
      actor: 'rotor-workflow',
      outcome: 'failed',
      rotationId,
      detail: `${step}: ${message}`,
    });
  }
  return done;
}
