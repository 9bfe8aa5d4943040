import { describe, expect, it } from 'vitest';
import { dueAtOf, dueSoonReminderAt, noticeAtOf, remindBeforeOf } from '../../lambda/store/dueAt.ts';
import type { AppRecord } from '../../lambda/store/model.ts';

const DAY = 86_400;
const DAY_MS = DAY * 1000;
const ISSUED = '2026-01-01T08:00:00.000Z';
/** The token of {@link app} becomes due 180 days after it was issued. */
const DUE = Date.parse(ISSUED) + 180 * DAY_MS;
const at = (ms: number) => new Date(ms);

function app(overrides: Partial<AppRecord> = {}): AppRecord {
  return {
    appId: 'billing-api',
    secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:rotor/billing-api-AbCdEf',
    issuer: 'managed',
    admins: [{ email: 'ops@example.com' }],
    customers: [],
    locale: 'de',
    timeZone: 'Europe/Berlin',
    intervalSeconds: 180 * DAY,
    graceSeconds: 7 * DAY,
    reminderRepeatSeconds: 30 * DAY,
    policy: 'remind',
    defaultMode: 'expire-later',
    state: 'ACTIVE',
    currentVersionId: 'v1',
    tokenIssuedAt: ISSUED,
    createdAt: ISSUED,
    updatedAt: ISSUED,
    ...overrides,
  };
}

/** What the sweep queues on one day, and the app as its write leaves it. */
function sweepOn(record: AppRecord, now: Date): { record: AppRecord; days?: number } {
  const reminder = dueSoonReminderAt(record, now);
  if (!reminder) return { record };
  return { record: { ...record, dueSoonReminder: reminder }, days: reminder.beforeSeconds / DAY };
}

describe('Function: dueSoonReminderAt', () => {
  it('gives the 30-day and the 7-day reminder once each per due date, and none on a re-run the same day', () => {
    // Prepare
    let record = app();
    const sent: number[] = [];

    // Act: the daily sweep at 06:00 UTC every day from issue to past the due date, twice each day.
    for (let day = Date.parse('2026-01-02T06:00:00Z'); day < DUE + 3 * DAY_MS; day += DAY_MS) {
      for (const run of [0, 1]) {
        const swept = sweepOn(record, at(day + run * 3_600_000));
        record = swept.record;
        if (swept.days !== undefined) sent.push(swept.days);
      }
    }

    // Assess
    expect(sent).toEqual([30, 7]);
  });

  it('comes up on the day the first reminder is due: the due index brings the app to the sweep then', () => {
    // Act
    const fresh = dueAtOf(app());
    const afterFirst = dueAtOf(
      app({ dueSoonReminder: { dueAt: new Date(DUE).toISOString(), beforeSeconds: 30 * DAY } }),
    );
    const afterBoth = dueAtOf(
      app({ dueSoonReminder: { dueAt: new Date(DUE).toISOString(), beforeSeconds: 7 * DAY } }),
    );

    // Assess
    expect(fresh).toBe(new Date(DUE - 30 * DAY_MS).toISOString());
    expect(afterFirst).toBe(new Date(DUE - 7 * DAY_MS).toISOString());
    expect(afterBoth).toBe(new Date(DUE).toISOString());
  });

  it('sends only the shortest reminder whose time has come when the sweep missed the others', () => {
    expect(dueSoonReminderAt(app(), at(DUE - 2 * DAY_MS))).toEqual({
      dueAt: new Date(DUE).toISOString(),
      beforeSeconds: 7 * DAY,
    });
  });

  it('sends none with --remind-before none, none once the token is due, and none longer than the interval', () => {
    expect(dueSoonReminderAt(app({ remindBeforeSeconds: [] }), at(DUE - DAY_MS))).toBeUndefined();
    expect(dueAtOf(app({ remindBeforeSeconds: [] }))).toBe(new Date(DUE).toISOString());
    expect(dueSoonReminderAt(app(), at(DUE + 60_000))).toBeUndefined();
    expect(remindBeforeOf(app({ intervalSeconds: 10 * DAY }))).toEqual([7 * DAY]);
    expect(remindBeforeOf(app({ remindBeforeSeconds: [7 * DAY, 60 * DAY, 14 * DAY] }))).toEqual([
      60 * DAY,
      14 * DAY,
      7 * DAY,
    ]);
  });

  it('starts afresh for a new token: a rotation gives its due date its own reminders', () => {
    // Prepare: both reminders of the old token went out; then a rotation issued a new one.
    const oldDue = new Date(DUE).toISOString();
    const rotated = app({
      tokenIssuedAt: new Date(DUE - DAY_MS).toISOString(),
      dueSoonReminder: { dueAt: oldDue, beforeSeconds: 7 * DAY },
    });
    const newDue = DUE - DAY_MS + 180 * DAY_MS;

    // Act
    const reminder = dueSoonReminderAt(rotated, at(newDue - 29 * DAY_MS));

    // Assess
    expect(reminder).toEqual({ dueAt: new Date(newDue).toISOString(), beforeSeconds: 30 * DAY });
    expect(dueAtOf(rotated)).toBe(new Date(newDue - 30 * DAY_MS).toISOString());
  });

  it('lets an overdue app with policy remind rest until its next reminder once the overdue one went out', () => {
    // Prepare: adopted with a token older than the interval, reminded today.
    const reminded = app({ lastReminderAt: new Date(DUE + 10 * DAY_MS).toISOString() });

    // Act / Assess: the before-due reminders are moot; it is due again a reminder period later.
    expect(dueAtOf(reminded)).toBe(new Date(DUE + 40 * DAY_MS).toISOString());
  });
});

describe('Function: noticeAtOf', () => {
  const rotation = { expiresAt: '2026-12-12T08:00:00.000Z', graceSeconds: 7 * DAY };

  it('is the expiry minus the notice time the rotation captured, 24 hours when it captured none', () => {
    expect(noticeAtOf(rotation)).toBe('2026-12-11T08:00:00.000Z');
    expect(noticeAtOf({ ...rotation, noticeSeconds: 3 * DAY })).toBe('2026-12-09T08:00:00.000Z');
  });

  it('has none when the grace period is not longer than the notice time', () => {
    expect(noticeAtOf({ ...rotation, graceSeconds: 3 * DAY, noticeSeconds: 3 * DAY })).toBeUndefined();
    expect(noticeAtOf({ ...rotation, graceSeconds: 3600 })).toBeUndefined();
  });
});
