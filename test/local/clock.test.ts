import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';

const DAY_MS = 86_400_000;
const scratch = mkdtempSync(path.join(tmpdir(), 'rotor-clock-test-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('Class: VirtualClock (with a state file, as npm start -- --data-dir keeps it)', () => {
  it('never runs backwards, not even after a kill -9 right after a jump', () => {
    // Prepare: a local mode whose clock jumped 8 days (a grace period passed), then killed at once.
    const stateFile = path.join(scratch, 'clock.json');
    const clockModule = pathToFileURL(path.resolve('local/clock.ts')).href;
    const killed = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { VirtualClock } = await import(${JSON.stringify(clockModule)});
         const clock = VirtualClock.install({ speed: 1000, stateFile: ${JSON.stringify(stateFile)} });
         clock.advanceTo(Date.now() + ${8 * DAY_MS});
         console.log(Date.now());
         process.kill(process.pid, 'SIGKILL');`,
      ],
      { encoding: 'utf8' },
    );
    const jumpedTo = Number(killed.stdout.trim());

    // Act: the next start resumes from the same file.
    const clock = VirtualClock.install({ speed: 1000, stateFile });
    const resumedAt = clock.now();
    clock.uninstall();

    // Assess
    expect(killed.signal).toBe('SIGKILL');
    expect(jumpedTo).toBeGreaterThan(Date.now() + 7 * DAY_MS);
    expect(resumedAt).toBeGreaterThanOrEqual(jumpedTo);
  });
});
