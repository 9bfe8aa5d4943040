import { describe, expect, it } from 'vitest';
import { CHILD_PROCESS_TIMEOUT_MS, scenarios } from '../support/scenarios.ts';

/**
 * `npm run scenarios NAME`: one scenario by name, and an unknown name refused. Its own file, so that it runs
 * beside the replay of every scenario (test/local/scenarios.test.ts) instead of after it.
 */

describe('npm run scenarios NAME', () => {
  it(
    'runs one scenario by name, and refuses an unknown one with the list to choose from',
    async () => {
      const [one, unknown] = await Promise.all([scenarios('expire-now'), scenarios('expire-soon')]);

      expect(one.code).toBe(0);
      expect(one.stdout).toContain('PASS  expire-now');
      expect(one.stdout).toContain('1 of 1 scenarios passed');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr.trim()).toBe(
        'scenarios: unknown scenario expire-soon; choose from expire-later, expire-now, expire-now-during-grace, cancel-during-grace, reminder-overdue, reminders-before-due, auto-rotation-by-schedule, failure-in-test-step, secrets-manager-native-rotation, hubspot-handoff, hubspot-old-token-still-valid, hubspot-handoff-timeout',
      );
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );
});
