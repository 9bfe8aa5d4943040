import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { emailsAbout, enroll, startTestSystem, type TestSystem } from '../support/localSystem.ts';

/**
 * Local mode's virtual time leaps when a workflow wait ends. A leap inside a function's run would make a
 * task of milliseconds last a day (a claim's 15-minute lease ran out inside one SES call, and the sweep
 * sent the demo's ROTATION_CANCELLED a second time). Waits that end while a function runs move the
 * clock once it is done.
 */
const DAY_MS = 86_400_000;
let clock: VirtualClock;
let system: TestSystem;
/** Set to start a day-long wait from inside the next SES call (the stand-in asks this for the time). */
let leapDuringNextSend = false;

beforeAll(async () => {
  clock = VirtualClock.install({ speed: 1_000_000_000 });
  system = await startTestSystem({
    clock,
    ses: {
      maxSendRate: 1000,
      now: () => {
        if (leapDuringNextSend) {
          leapDuringNextSend = false;
          void clock.sleepUntil(Date.now() + DAY_MS);
        }
        return performance.now();
      },
    },
  });
});

afterAll(async () => {
  await system?.close();
  clock?.uninstall();
});

describe('Local mode: virtual time', () => {
  it('does not leap while a function runs: both emails of one delivery carry the same day', async () => {
    // Prepare: a reminder queued for an app with two admins.
    const app = await enroll(system, { policy: 'remind' });
    const now = new Date().toISOString();
    expect(await system.registry.apps.queueReminder(app, now, now)).toBe(true);
    const notify = system.functions.find((fn) => fn.handler === 'notify');

    // Act: a day-long wait starts (and, at this speed, ends) during the first of the two SES calls.
    leapDuringNextSend = true;
    const before = Date.now();
    await system.invoke(notify?.arn as string, { appId: app.appId });
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess: both emails went out before the leap; the leap came after the function returned.
    const sent = (await emailsAbout(system, app.appId)).map((mail) => Date.parse(mail.at));
    expect(sent).toHaveLength(2);
    expect(Math.max(...sent) - before).toBeLessThan(60_000);
    expect(Date.now() - before).toBeGreaterThanOrEqual(DAY_MS);
  });
});
