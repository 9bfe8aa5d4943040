import { connect } from './client.ts';
import type { CliIo } from './io.ts';
import { createProgram, reportFailure } from './program.ts';

/** The CLI's surroundings in a real process. */
export function processIo(): CliIo {
  const io: CliIo = {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    connect: (options) => connect(options, io),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
    readStdin: async () => {
      if (process.stdin.isTTY) process.stderr.write('Paste the new token, then press Enter and Ctrl-D:\n');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
  };
  return io;
}

/**
 * Runs `rotor` with the given arguments (without `node` and the script) and returns the exit code:
 * 0 on success, 1 when the action was refused or failed, 2 on bad usage.
 *
 * @example
 * process.exitCode = await main(['apps', 'list', '--json']);
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportFailure(error, io);
  }
}
