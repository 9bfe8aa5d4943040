import { addSeconds } from './items.ts';
import type { ActiveRotation, AppRecord } from './model.ts';

/** A stuck ROTATING app becomes due for repair this long after its rotation started. */
const ROTATING_REPAIR_AFTER_MS = 60 * 60 * 1000;
/** When the sweep first looks at a lock: its execution should have started by then. */
const LOST_LOCK_CHECK_MS = 2 * 60 * 1000;

/** An email still in the outbox this long after it was queued is the sweep's to deliver. */
export const OUTBOX_SWEEP_AFTER_MS = 15 * 60 * 1000;

/** The 24-hour notice goes out only when the grace period is longer than this. */
export const NOTICE_BEFORE_EXPIRY_SECONDS = 24 * 3600;

/** When a grace period's 24-hour notice is due, if it has one. */
export function noticeAtOf(rotation: Pick<ActiveRotation, 'expiresAt' | 'graceSeconds'>): string | undefined {
  if (!rotation.expiresAt || rotation.graceSeconds <= NOTICE_BEFORE_EXPIRY_SECONDS) return undefined;
  return new Date(Date.parse(rotation.expiresAt) - NOTICE_BEFORE_EXPIRY_SECONDS * 1000).toISOString();
}

/**
 * When the daily sweep should next look at an app (the `dueAt` of the `due` index): the earliest of a
 * claimed ending to finish, a grace period's notice and expiry, a stuck rotation, an email left in the
 * outbox or an execution left to stop, and the token's age (a reminder repeats at most every `reminderRepeatSeconds`).
 */
export function dueAtOf(
  app: Pick<
    AppRecord,
    | 'state'
    | 'tokenIssuedAt'
    | 'intervalSeconds'
    | 'activeRotation'
    | 'hubspot'
    | 'outbox'
    | 'pendingStops'
    | 'policy'
    | 'lastReminderAt'
    | 'reminderRepeatSeconds'
  >,
): string {
  const rotation = app.activeRotation;
  const times: number[] = [];
  if (rotation?.endingAt) times.push(Date.parse(rotation.endingAt));
  if (app.state === 'GRACE' && rotation?.expiresAt) {
    // Every sweep looks at a grace period: its execution may be gone (the sweep then starts another).
    times.push(Date.parse(rotation.committedAt ?? rotation.startedAt));
    times.push(Date.parse(rotation.expiresAt));
    const noticeAt = noticeAtOf(rotation);
    if (noticeAt && !rotation.noticedAt) times.push(Date.parse(noticeAt));
  } else if (app.state === 'ROTATING' && rotation) {
    // Soon after the lock the sweep checks that its execution started; an hour on, that it is not stuck.
    times.push(Date.parse(rotation.startedAt) + Math.min(LOST_LOCK_CHECK_MS, stuckAfterMs(app)));
  } else {
    let due = Date.parse(addSeconds(app.tokenIssuedAt, app.intervalSeconds));
    if (app.policy === 'remind' && app.lastReminderAt) {
      due = Math.max(due, Date.parse(addSeconds(app.lastReminderAt, app.reminderRepeatSeconds)));
    }
    times.push(due);
  }
  // An email left in the outbox, or an execution left to stop, is the sweep's after a while.
  for (const left of [...Object.values(app.outbox ?? {}), ...Object.values(app.pendingStops ?? {})]) {
    times.push(Date.parse(left.at) + OUTBOX_SWEEP_AFTER_MS);
  }
  return new Date(Math.min(...times)).toISOString();
}

/**
 * How long after its start a ROTATING app counts as stuck (its workflow gone): an hour, and for a
 * HubSpot app an hour past its handoff deadline, because it waits days for an admin to hand a token over.
 */
export function stuckAfterMs(app: Pick<AppRecord, 'hubspot'>): number {
  return ROTATING_REPAIR_AFTER_MS + (app.hubspot ? app.hubspot.handoffTimeoutSeconds * 1000 : 0);
}
