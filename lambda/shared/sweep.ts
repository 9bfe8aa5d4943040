import type { NotificationEvent } from '../contract/notificationEvents.ts';
import { expireOldToken, type LifecycleDependencies, rollbackRotation } from './lifecycle.ts';
import type { AppRecord } from './model.ts';
import { stuckAfterMs } from './Registry.ts';
import type { RotationWorkflowInput } from './workflows.ts';

/** A rotation stuck in ROTATING this long has lost its workflow; the sweep rolls it back (HubSpot: see stuckAfterMs). */
export const STUCK_ROTATION_SECONDS = 3600;

export interface SweepDependencies extends LifecycleDependencies {
  readonly startWorkflow: (input: RotationWorkflowInput) => Promise<unknown>;
}

/** What the sweep did for one app; the sweep workflow sends `event`, if any, for `rotationId`. */
export interface SweepOutcome {
  readonly appId: string;
  readonly action: 'rotation-started' | 'reminder-due' | 'expired' | 'rolled-back' | 'nothing';
  readonly event?: NotificationEvent;
  readonly rotationId?: string;
}

function plus(iso: string, seconds: number): number {
  return Date.parse(iso) + seconds * 1000;
}

/** The id of the rotation the sweep starts for an app on a given day: a re-run that day never starts two. */
export function scheduledRotationId(appId: string, now: Date): string {
  return `auto-${appId}-${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * Decides and does what one due app needs today: an app whose grace period ended without expiry (its
 * workflow died) is expired now; a rotation stuck for an hour is rolled back; a token older than the
 * app's interval gets an expire-later rotation (policy auto) or a reminder at most every
 * `reminderRepeat` (policy remind). Running it again the same day changes nothing more.
 */
export async function sweepApp(deps: SweepDependencies, app: AppRecord): Promise<SweepOutcome> {
  const now = deps.clock();
  const rotation = app.activeRotation;
  if (app.state === 'GRACE' && rotation?.expiresAt && Date.parse(rotation.expiresAt) <= now.getTime()) {
    const expired = await expireOldToken(deps, app.appId, rotation.rotationId, 'rotor-sweep');
    return expired
      ? { appId: app.appId, action: 'expired', event: 'ROTATION_COMPLETED', rotationId: rotation.rotationId }
      : { appId: app.appId, action: 'nothing' };
  }
  if (
    app.state === 'ROTATING' &&
    rotation &&
    Date.parse(rotation.startedAt) + stuckAfterMs(app) <= now.getTime()
  ) {
    const rolledBack = await rollbackRotation(deps, app.appId, rotation.rotationId, {
      step: rotation.failure?.step ?? 'workflow',
      message:
        rotation.failure?.message ?? 'the rotation did not finish within an hour; its workflow is gone',
    });
    return rolledBack
      ? { appId: app.appId, action: 'rolled-back', event: 'ROTATION_FAILED', rotationId: rotation.rotationId }
      : { appId: app.appId, action: 'nothing' };
  }
  if (app.state !== 'ACTIVE' || plus(app.tokenIssuedAt, app.intervalSeconds) > now.getTime()) {
    return { appId: app.appId, action: 'nothing' };
  }
  if (app.policy === 'auto') {
    const rotationId = scheduledRotationId(app.appId, now);
    await deps.startWorkflow({
      appId: app.appId,
      rotationId,
      mode: 'expire-later',
      trigger: 'schedule',
      startedBy: 'rotor-schedule',
      reason: `the token is older than ${Math.round(app.intervalSeconds / 86_400)} days`,
    });
    return { appId: app.appId, action: 'rotation-started', rotationId };
  }
  if (app.lastReminderAt && plus(app.lastReminderAt, app.reminderRepeatSeconds) > now.getTime()) {
    return { appId: app.appId, action: 'nothing' };
  }
  await deps.registry.recordReminder(app, now.toISOString());
  return { appId: app.appId, action: 'reminder-due', event: 'ROTATION_REMINDER' };
}
