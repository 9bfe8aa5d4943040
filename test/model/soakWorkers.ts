/** What the soak passes on to each of its worker processes. */
export interface SoakWorkerOptions {
  readonly seed: number;
  readonly maxCommands: number;
  readonly shrinkSeconds: number;
  readonly iam: boolean;
}

/**
 * The arguments of worker `index` of the soak, which runs `runs` histories: seed S + index, JSON out,
 * the soak's settings, and one process (`--workers 1`): a worker left to the default would fan out
 * again, twice the cores over at every level.
 */
export function workerArguments(options: SoakWorkerOptions, index: number, runs: number): string[] {
  return [
    '--runs',
    String(runs),
    '--seed',
    String(options.seed + index),
    '--json',
    '--workers',
    '1',
    '--max-commands',
    String(options.maxCommands),
    '--shrink-seconds',
    String(options.shrinkSeconds),
    ...(options.iam ? ['--iam'] : []),
  ];
}
