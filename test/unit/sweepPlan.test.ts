import { describe, expect, it } from 'vitest';
import { type DueApp, planSweep, sweepBatchPrefix } from '../../lambda/domain/sweepPlan.ts';

const app = (appId: string, overrides: Partial<DueApp> = {}): DueApp => ({
  appId,
  dueAt: '2026-06-01T06:00:00.000Z',
  state: 'ACTIVE',
  recipients: 2,
  ...overrides,
});

describe('Function: planSweep', () => {
  it('puts repairs first, then the apps due longest, each in a slot that keeps within the send rate', () => {
    // Prepare
    const start = new Date('2026-12-02T06:00:00.000Z');
    const apps = [
      app('late', { dueAt: '2026-11-30T06:00:00.000Z' }),
      app('early', { dueAt: '2026-10-01T06:00:00.000Z' }),
      app('grace', { state: 'GRACE', dueAt: '2026-12-02T05:00:00.000Z' }),
      app('big', { dueAt: '2026-11-01T06:00:00.000Z', recipients: 10 }),
    ];

    // Act
    const [batch] = planSweep(apps, { at: start, sendRate: 2 });

    // Assess: 2 recipients a second: 'grace' (2) at 0 s, 'early' (2) at 1 s, 'big' (10) at 2 s, 'late' at 7 s.
    expect(batch?.items).toEqual([
      { appId: 'grace', at: '2026-12-02T06:00:00.000Z' },
      { appId: 'early', at: '2026-12-02T06:00:01.000Z' },
      { appId: 'big', at: '2026-12-02T06:00:02.000Z' },
      { appId: 'late', at: '2026-12-02T06:00:07.000Z' },
    ]);
    expect(batch?.endsAt).toBe('2026-12-02T06:00:08.000Z');
  });

  it('cuts the plan into batches of the given size, every app in exactly one', () => {
    const apps = Array.from({ length: 1201 }, (_, i) => app(`app-${String(i).padStart(4, '0')}`));
    const batches = planSweep(apps, { at: new Date(0), sendRate: 14, batchSize: 500 });
    expect(batches.map((batch) => batch.items.length)).toEqual([500, 500, 201]);
    expect(new Set(batches.flatMap((batch) => batch.items.map((item) => item.appId))).size).toBe(1201);
  });

  it('refuses a send rate that is not above 0', () => {
    expect(() => planSweep([], { at: new Date(0), sendRate: 0 })).toThrow(
      'the send rate must be above 0, got 0',
    );
  });
});

describe('Function: sweepBatchPrefix', () => {
  it("names batches after the sweep's execution, shortened with a digest to stay within 80 characters", () => {
    expect(sweepBatchPrefix('sweep-2026-12-02', 'abcdef0123')).toBe('sweep-2026-12-02-');
    const long = sweepBatchPrefix('x'.repeat(80), 'abcdef0123');
    expect(`${long}99999`.length).toBeLessThanOrEqual(80);
    expect(long).toContain('abcdef01');
  });
});
