import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RotationCount } from '../contract/metrics.ts';
import type { NotificationEvent } from '../contract/notificationEvents.ts';
import { moveCurrentTo, removeLabel, stagesOf } from '../integrations/secretLabels.ts';
import { countRotation, countStuckApp } from '../notifications/rotorMetrics.ts';
import type { ActiveRotation, AppRecord, AuditEvent, HubSpotCheck, RotationEnding } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';

/**
 * The lifecycle's changes of state after the lock: promotion, expiry, cancel and rollback. Each is a
 * claim (one conditional write on the app's item that also checks any ending already claimed) followed
 * by steps that may each run again, ended by one conditional write that completes it. A claim is never
 * given back: an action interrupted after its claim is finished by whoever comes next ({@link settleApp}:
 * the next task, the sweep or the next operator call), as its first caller meant it.
 *
 * The order of the steps keeps, at every instant, the app's AWSCURRENT token valid and every token that
 * was revoked or expired dead: a new token is accepted before it becomes AWSCURRENT; an old token is made
 * valid for good before a cancel moves AWSCURRENT back to it; a committed rotation only goes forward.
 */
export interface LifecycleDependencies {
  readonly registry: Registry;
  readonly secretsManager: SecretsManagerClient;
  readonly clock: () => Date;
  /** Where each change of state is counted (RotationsStarted, ...). @default Rotor's metrics (rotorMetrics.ts) */
  readonly metrics?: Metrics;
}

/** Who the daily sweep acts as: an ending it claims names it, and a rollback it claims is of a stuck app. */
export const SWEEP_ACTOR = 'rotor-sweep';

/** A cancel needs this much of the grace period left: the old token must not expire while it becomes current again. */
export const CANCEL_MARGIN_MS = 60_000;

function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/**
 * Finishes a committed rotation: the new token is accepted, then AWSCURRENT moves to it and AWSPENDING
 * goes; the old token enters its grace period (expire-later, until commit + grace) or is revoked and loses
 * AWSPREVIOUS (expire-now); then the app is GRACE or ACTIVE with the rotation's email queued. The rotation
 * hook's finishSecret, HubSpot's promotion and a rollback that finds the rotation committed all end here.
 */
export async function finishPromotion(deps: LifecycleDependencies, app: AppRecord): Promise<AppRecord> {
  const rotation = app.activeRotation;
  const versionId = rotation?.newVersionId;
  if (app.state !== 'ROTATING' || !rotation?.committedAt || !versionId) return app;
  const { registry, secretsManager } = deps;
  const at = rotation.committedAt;
  await registry.tokens.setTokenStatus(app.appId, versionId, { status: 'current', from: ['pending'] });
  await moveCurrentTo(secretsManager, app.secretArn, versionId);
  await removeLabel(secretsManager, app.secretArn, 'AWSPENDING', versionId);
  const expiresAt = addSeconds(at, rotation.graceSeconds);
  if (rotation.mode === 'expire-later') {
    await registry.tokens.setTokenStatus(app.appId, rotation.oldVersionId, {
      status: 'grace',
      from: ['current'],
      expiresAt,
    });
  } else {
    await registry.tokens.setTokenStatus(app.appId, rotation.oldVersionId, {
      status: 'revoked',
      from: ['current', 'grace'],
      revokedAt: at,
    });
    await removeLabel(secretsManager, app.secretArn, 'AWSPREVIOUS', rotation.oldVersionId);
  }
  const { app: promoted, promoted: now } = await registry.apps.promoteNewToken(
    app.appId,
    rotation.rotationId,
    expiresAt,
  );
  // An expire-now rotation ends with its promotion: the old token is invalid at once.
  if (now && rotation.mode === 'expire-now') {
    countRotation('expired-now', { appId: app.appId, rotationId: rotation.rotationId }, deps.metrics);
  }
  await registry.audit.appendAudit({
    at,
    eventId: `${rotation.rotationId}:promoted`,
    appId: app.appId,
    action: 'rotation.promote',
    actor: rotation.handoff?.submittedBy ?? rotation.startedBy,
    outcome: 'succeeded',
    rotationId: rotation.rotationId,
    detail:
      rotation.mode === 'expire-later'
        ? `new token (version ${versionId}) current; old token valid until ${expiresAt}`
        : `new token (version ${versionId}) current; old token revoked at once`,
  });
  return promoted;
}

/**
 * The end of every finisher: the audit event first, then the completing write (the history record, then
 * the app ACTIVE without the rotation, with `app` applied). Whoever finishes an interrupted ending writes
 * the same audit event again (idempotent per event id), so nothing is missing once the app says it ended.
 */
async function completeWith(
  deps: LifecycleDependencies,
  claimed: AppRecord,
  ending: {
    audit: { event: string; action: string; outcome: AuditEvent['outcome']; detail: string };
    app: Partial<AppRecord>;
    record: Parameters<Registry['apps']['completeEnding']>[2];
  },
): Promise<boolean> {
  const rotation = claimed.activeRotation as ActiveRotation;
  await deps.registry.audit.appendAudit({
    at: rotation.endingAt as string,
    eventId: `${rotation.rotationId}:${ending.audit.event}`,
    appId: claimed.appId,
    action: ending.audit.action,
    actor: rotation.endedBy ?? 'rotor-workflow',
    outcome: ending.audit.outcome,
    rotationId: rotation.rotationId,
    detail: ending.audit.detail,
  });
  const completed = await deps.registry.apps.completeEnding(
    claimed,
    {
      ...claimed,
      state: 'ACTIVE',
      activeRotation: undefined,
      ...ending.app,
      updatedAt: deps.clock().toISOString(),
    },
    ending.record,
  );
  // Counted by the one call whose write completed the ending, whoever finished it (task, sweep, operator).
  if (completed) {
    const about = { appId: claimed.appId, rotationId: rotation.rotationId };
    countRotation(countOf(ending.record.status, rotation.endingEvent), about, deps.metrics);
    // The sweep rolls back only a rotation it found stuck (ROTATING past its time, its workflow gone).
    if (ending.record.status === 'failed' && rotation.endedBy === SWEEP_ACTOR)
      countStuckApp(about, deps.metrics);
  }
  return completed;
}

/** How a completed ending is counted: by its final status, and an expiry by its email (expire now or not). */
function countOf(
  status: Parameters<Registry['apps']['completeEnding']>[2]['status'],
  event: NotificationEvent | undefined,
): RotationCount {
  if (status === 'failed') return 'failed';
  if (status === 'cancelled') return 'cancelled';
  return event === 'TOKEN_INVALIDATED' ? 'expired-now' : 'completed';
}

/** Revokes the old token and drops its AWSPREVIOUS label, then completes the claimed expiry. */
async function finishExpiry(deps: LifecycleDependencies, claimed: AppRecord): Promise<boolean> {
  const rotation = claimed.activeRotation;
  if (!rotation?.endingAt) return false;
  const at = rotation.endingAt;
  await deps.registry.tokens.setTokenStatus(claimed.appId, rotation.oldVersionId, {
    status: 'revoked',
    from: ['grace', 'current'],
    revokedAt: at,
  });
  await removeLabel(deps.secretsManager, claimed.secretArn, 'AWSPREVIOUS', rotation.oldVersionId);
  return completeWith(deps, claimed, {
    audit: {
      event: 'expired',
      action: 'rotation.expire-old-token',
      outcome: 'succeeded',
      detail: `old token version ${rotation.oldVersionId} revoked`,
    },
    app: { lastRotation: { rotationId: rotation.rotationId, outcome: 'completed', at } },
    record: { status: 'completed' },
  });
}

/**
 * Completes a claimed cancel: the old token is made valid for good first, then AWSCURRENT moves back to
 * it, the new token loses AWSPREVIOUS and is revoked, and the app is ACTIVE with the old token. If the
 * old token's grace period ran out before the cancel got to it (claimed, interrupted, finished late),
 * the dead token is not brought back: the rotation completes as an expiry, and the email says so.
 */
async function finishCancel(deps: LifecycleDependencies, claimed: AppRecord): Promise<boolean> {
  const rotation = claimed.activeRotation;
  const newVersionId = rotation?.newVersionId;
  if (!rotation?.endingAt || !newVersionId) return false;
  const { registry, secretsManager } = deps;
  const old = await registry.tokens.findTokenVersion(claimed.appId, rotation.oldVersionId);
  const expired =
    old?.status === 'grace' &&
    (!old.expiresAt || Date.parse(old.expiresAt) <= deps.clock().getTime() + CANCEL_MARGIN_MS / 2);
  if (old?.status === 'revoked' || expired) return finishExpiryOfCancel(deps, claimed);
  await registry.tokens.setTokenStatus(claimed.appId, rotation.oldVersionId, {
    status: 'current',
    from: ['grace'],
    removeExpiry: true,
  });
  await moveCurrentTo(secretsManager, claimed.secretArn, rotation.oldVersionId);
  await removeLabel(secretsManager, claimed.secretArn, 'AWSPREVIOUS', newVersionId);
  await registry.tokens.setTokenStatus(claimed.appId, newVersionId, {
    status: 'revoked',
    from: ['current', 'pending'],
    revokedAt: rotation.endingAt,
  });
  return completeWith(deps, claimed, {
    audit: {
      event: 'cancelled',
      action: 'rotation.cancel',
      outcome: 'succeeded',
      detail: `version ${rotation.oldVersionId} is current again; version ${newVersionId} revoked`,
    },
    app: {
      currentVersionId: rotation.oldVersionId,
      tokenIssuedAt: rotation.oldTokenIssuedAt ?? claimed.tokenIssuedAt,
      lastRotation: { rotationId: rotation.rotationId, outcome: 'cancelled', at: rotation.endingAt },
    },
    record: { status: 'cancelled' },
  });
}

/**
 * A cancel that came too late for the old token: the rotation completes with the new token instead, as
 * the expiry it was: the grace period ended it, at its end (not the operator at the claim), so the
 * history, the revocation time and the email (ROTATION_COMPLETED) all say what the old token did.
 */
async function finishExpiryOfCancel(deps: LifecycleDependencies, claimed: AppRecord): Promise<boolean> {
  const rotation = claimed.activeRotation;
  if (!rotation) return false;
  const endedAt =
    rotation.expiresAt && rotation.endingAt && rotation.expiresAt > rotation.endingAt
      ? rotation.expiresAt
      : rotation.endingAt;
  const asExpiry: AppRecord = {
    ...claimed,
    activeRotation: {
      ...rotation,
      endingEvent: 'ROTATION_COMPLETED',
      endedBy: 'rotor-workflow',
      ...(endedAt ? { endingAt: endedAt } : {}),
    },
  };
  return finishExpiry(deps, asExpiry);
}

/**
 * Completes a claimed rollback of a rotation that was never committed: the old token was never touched
 * and stays current; the new version loses AWSPENDING (and AWSCURRENT, had anything moved it there) and
 * its token, if registered, is revoked; the lock is released and ROTATION_FAILED queued.
 */
async function finishRollback(deps: LifecycleDependencies, claimed: AppRecord): Promise<boolean> {
  const rotation = claimed.activeRotation;
  if (!rotation?.endingAt) return false;
  const { registry, secretsManager } = deps;
  const step = rotation.failure?.step ?? 'workflow';
  const message = rotation.failure?.message ?? 'the rotation did not finish';
  const newVersionId = rotation.newVersionId;
  if (newVersionId) {
    const stages = await stagesOf(secretsManager, claimed.secretArn);
    if (stages[newVersionId]?.includes('AWSCURRENT')) {
      await moveCurrentTo(secretsManager, claimed.secretArn, rotation.oldVersionId);
      await removeLabel(secretsManager, claimed.secretArn, 'AWSPREVIOUS', newVersionId);
    }
    await removeLabel(secretsManager, claimed.secretArn, 'AWSPENDING', newVersionId);
    if (await registry.tokens.findTokenVersion(claimed.appId, newVersionId)) {
      await registry.tokens.setTokenStatus(claimed.appId, newVersionId, {
        status: 'revoked',
        from: ['pending', 'current'],
        revokedAt: rotation.endingAt,
      });
    }
  }
  return completeWith(deps, claimed, {
    audit: { event: 'failed', action: 'rotation.rollback', outcome: 'failed', detail: `${step}: ${message}` },
    app: {
      currentVersionId: rotation.oldVersionId,
      lastRotation: {
        rotationId: rotation.rotationId,
        outcome: 'failed',
        at: rotation.endingAt,
        failedStep: step,
      },
    },
    record: { status: 'failed', failedStep: step, failure: { step, message, at: rotation.endingAt } },
  });
}

const FINISHERS: Record<
  RotationEnding,
  (deps: LifecycleDependencies, claimed: AppRecord) => Promise<boolean>
> = {
  expire: finishExpiry,
  cancel: finishCancel,
  rollback: finishRollback,
};

/** What {@link settleApp} finished: the ending (or the promotion) someone claimed and did not complete. */
export interface Settled {
  readonly app: AppRecord;
  readonly finished?: {
    readonly rotationId: string;
    readonly ending: RotationEnding | 'promote';
    readonly endedBy: string;
  };
}

/**
 * Finishes what an interrupted action left claimed on the app: an ending (expire, cancel, rollback) or a
 * committed promotion. Every caller that is about to act on an app calls this first, so nothing claimed
 * is ever left to block. Returns the app as it then is.
 */
export async function settleApp(deps: LifecycleDependencies, app: AppRecord): Promise<Settled> {
  const rotation = app.activeRotation;
  if (!rotation) return { app };
  if (rotation.ending) {
    await FINISHERS[rotation.ending](deps, app);
    return {
      app: await deps.registry.apps.getApp(app.appId),
      finished: {
        rotationId: rotation.rotationId,
        ending: rotation.ending,
        endedBy: rotation.endedBy ?? 'rotor-workflow',
      },
    };
  }
  if (app.state === 'ROTATING' && rotation.committedAt) {
    await finishPromotion(deps, app);
    return {
      app: await deps.registry.apps.getApp(app.appId),
      finished: { rotationId: rotation.rotationId, ending: 'promote', endedBy: rotation.startedBy },
    };
  }
  return { app };
}

/** How an ending is asked for: who, with which email, and what HubSpot said. */
export interface EndingRequest {
  readonly by: string;
  readonly event: NotificationEvent;
  readonly check?: HubSpotCheck;
  /** The operator request that asks (see ActiveRotation.endingRequest). */
  readonly request?: string;
  /** The waiting execution that the ending leaves to stop (see AppRecord.pendingStops). */
  readonly stop?: string;
}

/**
 * Claims an ending and completes it. Returns true when the rotation has ended that way (by this call or by
 * an earlier, interrupted one); false when it is not there to end so (ended otherwise, or another ending
 * claimed, which this call then finishes, as whoever comes next).
 */
export async function endRotation(
  deps: LifecycleDependencies,
  appId: string,
  rotationId: string,
  ending: RotationEnding,
  request: EndingRequest,
): Promise<boolean> {
  const from = ending === 'rollback' ? 'ROTATING' : 'GRACE';
  const claimed = await deps.registry.apps.claimEnding(appId, rotationId, from, ending, {
    by: request.by,
    at: deps.clock().toISOString(),
    event: request.event,
    ...(request.check ? { check: request.check } : {}),
    ...(request.request ? { request: request.request } : {}),
    ...(request.stop ? { stop: request.stop } : {}),
  });
  if (claimed) {
    await FINISHERS[ending](deps, claimed);
    return true;
  }
  const app = await deps.registry.apps.getApp(appId);
  if (app.activeRotation?.rotationId === rotationId) await settleApp(deps, app);
  return false;
}
