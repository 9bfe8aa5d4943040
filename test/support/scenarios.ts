import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `npm run scenarios` as a user runs it: a child process, its JSON on stdout, its exit code. */
export async function scenarios(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
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
export const CHILD_PROCESS_TIMEOUT_MS = 120_000;
