import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * `npm run scenarios NAME`: one scenario by name, and an unknown name refused. Its own file, so that it runs
 * beside the replay of every scenario (test/local/scenarios.test.ts) instead of after it.
 */

/** `npm run scenarios` as a user runs it: a child process, its JSON on stdout, its exit code. */
async function scenarios(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'local/scenarios/cli.ts', ...args], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A child process that synthesizes the stack and runs workflows: generous on a busy 2-core machine. */
const CHILD_PROCESS_TIMEOUT_MS = 120_000;

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
        'scenarios: unknown scenario expire-soon; choose from expire-later, expire-now, expire-now-during-grace, cancel-during-grace, reminder-overdue, auto-rotation-by-schedule, failure-in-test-step, secrets-manager-native-rotation, hubspot-handoff, hubspot-old-token-still-valid, hubspot-handoff-timeout',
      );
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );
});
