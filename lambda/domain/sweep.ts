import type { RotationWorkflowInput, SweepAppOutput } from '../contract/workflows.ts';
import type { WorkflowState } from '../integrations/workflows.ts';
import { dueSoonReminderAt, noticeAtOf, stuckAfterMs } from '../store/dueAt.ts';
import type { ActiveRotation, AppRecord } from '../store/model.ts';
import { type LifecycleDependencies, SWEEP_ACTOR, settleApp } from './endings.ts';
import { expireOldToken, rollbackRotation } from './lifecycle.ts';
import { type StopExecution, stopLeftExecutions } from './pendingStops.ts';

export interface SweepDependencies extends LifecycleDependencies {
  readonly startWorkflow: (input: RotationWorkflowInput) => Promise<unknown>;
  /** Where the execution of a rotation stands; without it the sweep does not look at executions. */
  readonly workflowOf?: (rotation: ActiveRotation) => Promise<WorkflowState>;
  /** Stops an execution an operator's ending left waiting; without it the sweep leaves them. */
  readonly stopWorkflow?: StopExecution;
}

/** A lock this old whose execution was never started (the API died in between) gets its execution from the sweep. */
export const LOST_LOCK_AFTER_MS = 2 * 60_000;

/** What the sweep did for one app (the sweep workflow's contract). */
export type SweepOutcome = SweepAppOutput;

function plus(iso: string, seconds: number): number {
  return Date.parse(iso) + seconds * 1000;
}

/** Starts a new execution for a rotation in its grace period whose execution is gone, and records it. */
async function restartWorkflow(deps: SweepDependencies, appId: string, rotation: ActiveRotation, now: Date) {
  const executionName = `${rotation.rotationId}-resumed-${now.toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const executionArn = await deps.startWorkflow({
    appId,
    rotationId: rotation.rotationId,
    adopt: true,
    executionName,
  });
  if (typeof executionArn !== 'string') return;
  // An operator's ending may have stopped the first execution and ended the rotation since the sweep
  // read the app: the successor would then wait out a grace period that is over, so it is stopped.
  const attached = await deps.registry.apps.attachExecution(appId, rotation.rotationId, executionArn);
  if (!attached && deps.stopWorkflow) {
    await deps.stopWorkflow(executionArn, 'its rotation ended before this execution could take it over');
  }
}

/** The id of the rotation the sweep starts for an app on a given day: a re-run that day never starts two. */
export function scheduledRotationId(appId: string, now: Date): string {
  return `auto-${appId}-${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * Decides and does what one due app needs now, as whoever comes next: an ending or promotion someone
 * claimed and did not finish is finished; a grace period that ended without expiry (its workflow gone)
 * is expired, and one whose 24-hour notice is due and not sent gets it; a rotation stuck for an hour is
 * rolled back; a token older than the app's interval gets an expire-later rotation (policy auto) or a
 * reminder at most every `reminderRepeat` (policy remind); a token that becomes due soon gets each of
 * the app's before-due reminders (ROTATION_DUE_SOON, by default 30 and 7 days before) once per due date;
 * an execution an operator's ending could not stop is stopped. Any email left in the app's outbox is delivered by the sweep workflow (`deliver`).
 * Running it again changes nothing more.
 */
export async function sweepApp(deps: SweepDependencies, due: AppRecord): Promise<SweepOutcome> {
  const now = deps.clock();
  const settled = await settleApp(deps, due);
  const app = settled.app;
  const rotation = app.activeRotation;
  let action: SweepOutcome['action'] = settled.finished ? 'finished' : 'nothing';
  let rotationId = settled.finished?.rotationId;
  if (app.state === 'GRACE' && rotation?.expiresAt) {
    const noticeAt = noticeAtOf(rotation);
    if (Date.parse(rotation.expiresAt) <= now.getTime()) {
      if (await expireOldToken(deps, app.appId, rotation.rotationId, SWEEP_ACTOR)) action = 'expired';
      rotationId = rotation.rotationId;
    } else {
      if (noticeAt && !rotation.noticedAt && Date.parse(noticeAt) <= now.getTime()) {
        if (await deps.registry.apps.queueExpiryNotice(app.appId, rotation.rotationId, now.toISOString())) {
          action = 'notice-queued';
        }
      }
      // The grace timer is the rotation's execution: one that is gone gets a successor that joins it.
      if (deps.workflowOf && (await deps.workflowOf(rotation)) !== 'running') {
        await restartWorkflow(deps, app.appId, rotation, now);
        action = 'workflow-started';
      }
      rotationId = rotation.rotationId;
    }
  } else if (
    app.state === 'ROTATING' &&
    rotation &&
    !rotation.committedAt &&
    Date.parse(rotation.startedAt) + LOST_LOCK_AFTER_MS <= now.getTime() &&
    deps.workflowOf &&
    (await deps.workflowOf(rotation)) === 'missing'
  ) {
    // The lock was taken and its execution never started (the API died in between): start it now.
    await deps.startWorkflow({
      appId: app.appId,
      rotationId: rotation.rotationId,
      mode: rotation.mode,
      graceSeconds: rotation.graceSeconds,
      trigger: rotation.trigger,
      startedBy: rotation.startedBy,
      ...(rotation.reason ? { reason: rotation.reason } : {}),
    });
    action = 'workflow-started';
    rotationId = rotation.rotationId;
  } else if (
    app.state === 'ROTATING' &&
    rotation &&
    Date.parse(rotation.startedAt) + stuckAfterMs(app) <= now.getTime()
  ) {
    const outcome = await rollbackRotation(
      deps,
      app.appId,
      rotation.rotationId,
      {
        step: rotation.failure?.step ?? 'workflow',
        message:
          rotation.failure?.message ?? 'the rotation did not finish within an hour; its workflow is gone',
      },
      SWEEP_ACTOR,
    );
    if (outcome === 'rolled-back') action = 'rolled-back';
    rotationId = rotation.rotationId;
  } else if (app.state === 'ACTIVE' && plus(app.tokenIssuedAt, app.intervalSeconds) <= now.getTime()) {
    if (app.policy === 'auto') {
      rotationId = scheduledRotationId(app.appId, now);
      await deps.startWorkflow({
        appId: app.appId,
        rotationId,
        mode: 'expire-later',
        trigger: 'schedule',
        startedBy: 'rotor-schedule',
        reason: `the token is older than ${Math.round(app.intervalSeconds / 86_400)} days`,
      });
      action = 'rotation-started';
    } else {
      const notBefore = new Date(now.getTime() - app.reminderRepeatSeconds * 1000).toISOString();
      if (await deps.registry.apps.queueReminder(app, now.toISOString(), notBefore))
        action = 'reminder-queued';
    }
  } else if (app.state === 'ACTIVE') {
    const reminder = dueSoonReminderAt(app, now);
    if (reminder && (await deps.registry.apps.queueDueSoonReminder(app, reminder, now.toISOString()))) {
      action = 'due-soon-queued';
    }
  }
  let after = await deps.registry.apps.getApp(app.appId);
  if (deps.stopWorkflow && after.pendingStops && Object.keys(after.pendingStops).length > 0) {
    const { stopped } = await stopLeftExecutions(
      deps.registry,
      deps.stopWorkflow,
      after,
      'its rotation has ended',
    );
    if (stopped > 0 && action === 'nothing') action = 'workflow-stopped';
    after = await deps.registry.apps.getApp(app.appId);
  }
  const deliver = Object.keys(after.outbox ?? {}).length > 0;
  if (!deliver && action === 'nothing') await deps.registry.apps.refreshDueAt(after);
  return { appId: app.appId, action, deliver, ...(rotationId ? { rotationId } : {}) };
}
