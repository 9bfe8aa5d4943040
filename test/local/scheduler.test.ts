import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { clientsFor, enrollDemoApp, until } from '../../local/scenarios/scenarios.ts';
import { nextFireTime } from '../../local/scheduler.ts';
import { type LocalSystem, startLocalSystem } from '../../local/system.ts';

const DAY_MS = 86_400_000;
const BERLIN_SIX = { hour: 6, minute: 0, timeZone: 'Europe/Berlin' };

describe('Function: nextFireTime', () => {
  it("fires at 06:00 Berlin time, summer or winter, and on the next day once today's has passed", () => {
    expect(new Date(nextFireTime(BERLIN_SIX, Date.parse('2026-12-02T01:00:00Z'))).toISOString()).toBe(
      '2026-12-02T05:00:00.000Z',
    );
    expect(new Date(nextFireTime(BERLIN_SIX, Date.parse('2026-12-02T05:00:00Z'))).toISOString()).toBe(
      '2026-12-03T05:00:00.000Z',
    );
    // The night the clocks go forward (28 March 2027, 02:00 → 03:00): 06:00 is CEST already.
    expect(new Date(nextFireTime(BERLIN_SIX, Date.parse('2027-03-27T23:00:00Z'))).toISOString()).toBe(
      '2027-03-28T04:00:00.000Z',
    );
    expect(new Date(nextFireTime(BERLIN_SIX, Date.parse('2027-07-01T12:00:00Z'))).toISOString()).toBe(
      '2027-07-02T04:00:00.000Z',
    );
  });
});

describe('Local mode: the stack schedule', () => {
  let clock: VirtualClock;
  let system: LocalSystem;

  beforeAll(async () => {
    clock = VirtualClock.install({ speed: 100_000 });
    system = await startLocalSystem({
      clock,
      schedules: true,
      retryIntervalOverrides: { CheckPromotion: 400 },
    });
  });

  afterAll(async () => {
    await system?.close();
    clock?.uninstall();
  });

  it('starts the daily sweep when virtual time passes 06:00 Berlin, and the sweep rotates a due auto app', async () => {
    // Prepare: an app with policy auto whose token is 181 days old.
    const clients = clientsFor(system);
    const app = await enrollDemoApp({ system, ...clients }, 'scheduled-sweep', { policy: 'auto' });
    clock.advanceTo(clock.now() + 181 * DAY_MS);
    const next = system.scheduler?.next.get([...(system.scheduler?.next.keys() ?? [])][0] ?? '') ?? 0;
    const before = system.stepFunctions.executions().length;

    // Act: time passes the schedule's next firing time.
    clock.advanceTo(next + 1_000);
    const sweep = await until('the schedule started the sweep', async () =>
      system.stepFunctions
        .executions()
        .slice(before)
        .find((execution) => execution.stateMachineArn === system.sweepStateMachineArn),
    );
    const rotation = await until('the sweep started a rotation', async () => {
      const [started] = await clients.registry.rotations.listRotations(app.appId);
      return started;
    });

    // Assess
    expect(sweep.name).toMatch(/^scheduled-/);
    expect(rotation).toMatchObject({ trigger: 'schedule', mode: 'expire-later' });
  });
});
