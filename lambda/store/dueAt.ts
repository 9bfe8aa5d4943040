import { DEFAULT_NOTICE_BEFORE_SECONDS, DEFAULT_REMIND_BEFORE_SECONDS } from '../contract/appSettings.ts';
import { addSeconds } from './items.ts';
import type { ActiveRotation, AppRecord, DueSoonReminder } from './model.ts';

/** A stuck ROTATING app becomes due for repair this long after its rotation started. */
const ROTATING_REPAIR_AFTER_MS = 60 * 60 * 1000;
/** When the sweep first looks at a lock: its execution should have started by then. */
const LOST_LOCK_CHECK_MS = 2 * 60 * 1000;

/** An email still in the outbox this long after it was queued is the sweep's to deliver. */
export const OUTBOX_SWEEP_AFTER_MS = 15 * 60 * 1000;

/** The pre-expiry notice time of a rotation that did not record one (started before the setting existed). */
export const NOTICE_BEFORE_EXPIRY_SECONDS = DEFAULT_NOTICE_BEFORE_SECONDS;

/** How long before its grace period ends a rotation's pre-expiry notice goes out. */
export function noticeSecondsOf(rotation: Pick<ActiveRotation, 'noticeSeconds'>): number {
  return rotation.noticeSeconds ?? NOTICE_BEFORE_EXPIRY_SECONDS;
}

/**
 * When a grace period's pre-expiry notice (TOKEN_EXPIRES_IN_24H) is due: `expiresAt` minus the notice
 * time the rotation captured when it started. None when the grace period is not longer than that time
 * (a 1-hour grace period has no 24-hour notice).
 */
export function noticeAtOf(
  rotation: Pick<ActiveRotation, 'expiresAt' | 'graceSeconds' | 'noticeSeconds'>,
): string | undefined {
  const notice = noticeSecondsOf(rotation);
  if (!rotation.expiresAt || rotation.graceSeconds <= notice) return undefined;
  return new Date(Date.parse(rotation.expiresAt) - notice * 1000).toISOString();
}

/** When the app's current token becomes due: as old as the app's interval. */
export function tokenDueAtOf(app: Pick<AppRecord, 'tokenIssuedAt' | 'intervalSeconds'>): string {
  return addSeconds(app.tokenIssuedAt, app.intervalSeconds);
}

/**
 * The app's before-due reminder times, longest first: its own, else 30 and 7 days; only those shorter
 * than the interval, so every reminder falls after the token was issued.
 */
export function remindBeforeOf(
  app: Pick<AppRecord, 'remindBeforeSeconds' | 'intervalSeconds'>,
): readonly number[] {
  return [...(app.remindBeforeSeconds ?? DEFAULT_REMIND_BEFORE_SECONDS)]
    .filter((seconds) => seconds > 0 && seconds < app.intervalSeconds)
    .sort((a, b) => b - a);
}

type DueSoonFields = Pick<
  AppRecord,
  | 'tokenIssuedAt'
  | 'intervalSeconds'
  | 'remindBeforeSeconds'
  | 'dueSoonReminder'
  | 'policy'
  | 'lastReminderAt'
>;

/** The reminders of the current due date that were not queued yet, longest first. */
function unsentReminders(app: DueSoonFields, dueMs: number): readonly number[] {
  const last = app.dueSoonReminder;
  const sameDue = last !== undefined && Date.parse(last.dueAt) === dueMs;
  return remindBeforeOf(app).filter((seconds) => !sameDue || seconds < last.beforeSeconds);
}

/**
 * The before-due reminder the sweep owes at `now`, if any: of the unsent reminders whose time has come,
 * the shortest (a sweep that missed the 30-day reminder and finds the 7-day one due sends only that one,
 * and never two on one day). None once the token is due: the overdue reminder or rotation takes over.
 */
export function dueSoonReminderAt(app: DueSoonFields, now: Date): DueSoonReminder | undefined {
  const dueMs = Date.parse(tokenDueAtOf(app));
  if (now.getTime() >= dueMs) return undefined;
  const come = unsentReminders(app, dueMs).filter((seconds) => dueMs - seconds * 1000 <= now.getTime());
  if (come.length === 0) return undefined;
  return { dueAt: new Date(dueMs).toISOString(), beforeSeconds: Math.min(...come) };
}

/**
 * When the next before-due reminder of an ACTIVE app is due, if one is left. Once the overdue
 * ROTATION_REMINDER went out (policy remind), the due date's reminders are moot and bring it up no more.
 */
function nextReminderAt(app: DueSoonFields): number | undefined {
  const dueMs = Date.parse(tokenDueAtOf(app));
  const unsent = unsentReminders(app, dueMs);
  if (unsent.length === 0) return undefined;
  if (app.policy === 'remind' && app.lastReminderAt && Date.parse(app.lastReminderAt) >= dueMs)
    return undefined;
  return dueMs - Math.max(...unsent) * 1000;
}

/**
 * When the daily sweep should next look at an app (the `dueAt` of the `due` index): the earliest of a
 * claimed ending to finish, a grace period's notice and expiry, a stuck rotation, an email left in the
 * outbox or an execution left to stop, the next before-due reminder, and the token's age (a reminder
 * repeats at most every `reminderRepeatSeconds`).
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
    | 'remindBeforeSeconds'
    | 'dueSoonReminder'
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
    const reminder = nextReminderAt(app);
    if (reminder !== undefined) times.push(reminder);
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
