/**
 * `npm run soak -- --runs N [--seed S] [--json] [--max-commands M] [--shrink-seconds T] [--iam] [--workers W]`: runs N random
 * histories of the model-based test against one local Rotor, prints progress to stderr and, on stdout,
 * `{runs, failures, seed, wallSeconds, historiesPerSecond, failuresByInvariant, counterexample}` (JSON with
 * --json, else readable text). The first failing history is shrunk (for at most T seconds) to a short
 * command list. `--path P --replay-path R` (as a counterexample prints them) replays one history.
 * `--workers W` runs the histories in W processes, each with its own local Rotor and seed S + i (the
 * report lists them as `seeds`; a counterexample names the seed that replays it). One process keeps
 * about half a core busy (the rest of its time it waits on the system's timers and retries), so W
 * defaults to twice the machine's cores, up to 8.
 * Exits 0 only when no history broke an invariant; 2 on bad usage.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { InvariantViolation } from './commands.ts';
import { historyArbitrary, replayPathOf, runHistory } from './history.ts';
import { workerArguments } from './soakWorkers.ts';
import { startWorld } from './world.ts';

interface Failure {
  readonly run: number;
  readonly invariants: readonly string[];
  readonly message: string;
}

interface Counterexample {
  readonly commands: readonly string[];
  readonly violations: readonly { invariant: string; message: string }[];
  readonly log: readonly string[];
  readonly replay: { readonly seed: number; readonly path: string; readonly replayPath?: string };
  /** Whether shrinking ran to its end (false: stopped by --shrink-seconds, or the failure did not recur). */
  readonly fullyShrunk: boolean;
}

function usage(problem: string): never {
  process.stderr.write(
    `soak: ${problem}; usage: npm run soak -- --runs N [--seed S] [--json] [--max-commands M] [--shrink-seconds T] [--path P --replay-path R] [--iam] [--workers W]\n`,
  );
  process.exit(2);
}

function wholeNumber(name: string, value: string | undefined, fallback?: number, min = 0): number {
  if (value === undefined) {
    if (fallback === undefined) usage(`--${name} is required`);
    return fallback;
  }
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || String(number) !== value.trim()) {
    usage(`--${name} must be a whole number of at least ${min} (got "${value}")`);
  }
  return number;
}

function runPath(value: string): string {
  if (!/^\d+(:\d+)*$/.test(value))
    usage(`--path must be fast-check's path, numbers joined by ":" (got "${value}")`);
  return value;
}

function parse() {
  try {
    const { values } = parseArgs({
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
        'max-commands': { type: 'string' },
        'shrink-seconds': { type: 'string' },
        path: { type: 'string' },
        'replay-path': { type: 'string' },
        iam: { type: 'boolean', default: false },
        workers: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    return {
      runs: wholeNumber('runs', values.runs, undefined, 1),
      seed: wholeNumber('seed', values.seed, Math.floor(Math.random() * 2 ** 31)),
      json: values.json ?? false,
      iam: values.iam ?? false,
      maxCommands: wholeNumber('max-commands', values['max-commands'], 8),
      shrinkSeconds: wholeNumber('shrink-seconds', values['shrink-seconds'], 300),
      workers: wholeNumber('workers', values.workers, Math.min(8, 2 * availableParallelism()), 1),
      ...(values.path === undefined ? {} : { path: runPath(values.path) }),
      ...(values['replay-path'] === undefined ? {} : { replayPath: values['replay-path'] }),
    };
  } catch (error) {
    usage((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

function invariantsOf(error: unknown): string[] {
  return error instanceof InvariantViolation
    ? [...new Set(error.violations.map((violation) => violation.invariant))]
    : [`harness error: ${(error as Error).name}`];
}

const options = parse();
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
if (options.workers > 1 && !options.path) await soakInWorkers();
const started = performance.now();
const world = await startWorld({ iam: options.iam });
const arbitrary = historyArbitrary(options.maxCommands, options.replayPath);
const failures: Failure[] = [];
let run = 0;
let counterexample: Counterexample | undefined;
let runStarted = 0;
let runSeconds = 0;
try {
  runStarted = performance.now();
  // Every history runs to its end; failures are counted, not shrunk, so the count covers all N runs.
  await fc.check(
    fc.asyncProperty(arbitrary, async (history) => {
      // With --path, fast-check goes on from the replayed history to its neighbours: only the first counts.
      if (options.path && run >= 1) return true;
      const index = run;
      run += 1;
      try {
        await runHistory(world, history);
      } catch (error) {
        failures.push({ run: index, invariants: invariantsOf(error), message: (error as Error).message });
      }
      const elapsed = (performance.now() - started) / 1000;
      process.stderr.write(
        `soak: ${run}/${options.runs} histories, ${failures.length} failed, ${elapsed.toFixed(0)} s\n`,
      );
      return true;
    }),
    options.path
      ? { seed: options.seed, numRuns: 1, path: options.path }
      : { seed: options.seed, numRuns: options.runs },
  );

  runSeconds = (performance.now() - runStarted) / 1000;
  const first = failures[0];
  if (first) {
    process.stderr.write(`soak: shrinking history ${first.run} (at most ${options.shrinkSeconds} s)\n`);
    let last: InvariantViolation | undefined;
    const shrunk = await fc.check(
      fc.asyncProperty(arbitrary, async (history) => {
        try {
          await runHistory(world, history);
        } catch (error) {
          if (error instanceof InvariantViolation) last = error;
          throw error;
        }
      }),
      {
        seed: options.seed,
        path: options.path ?? String(first.run),
        interruptAfterTimeLimit: options.shrinkSeconds * 1000,
        markInterruptAsFailure: false,
      },
    );
    if (shrunk.failed && shrunk.counterexample) {
      const [history] = shrunk.counterexample;
      counterexample = {
        commands: [
          `register(app0, ${history.policy}, due every ${history.intervalDays}d)`,
          // fast-check's wrappers know which commands ran (a command whose precondition failed did not).
          ...[...history.commands]
            .filter((command) => (command as { hasRan?: boolean }).hasRan !== false)
            .map((command) => command.toString()),
        ],
        violations: last?.violations ?? [],
        log: last?.log ?? [],
        replay: {
          seed: options.seed,
          path: shrunk.counterexamplePath ?? options.path ?? String(first.run),
          ...(replayPathOf(history) ? { replayPath: replayPathOf(history) } : {}),
        },
        fullyShrunk: !shrunk.interrupted,
      };
    }
  }
} finally {
  await world.close();
}

const wallSeconds = Math.round((performance.now() - started) / 100) / 10;
const failuresByInvariant: Record<string, number> = {};
for (const failure of failures) {
  for (const invariant of failure.invariants) {
    failuresByInvariant[invariant] = (failuresByInvariant[invariant] ?? 0) + 1;
  }
}
const report = {
  runs: run,
  failures: failures.length,
  seed: options.seed,
  wallSeconds,
  /** Histories per second of the runs themselves (without the start of the system and the shrinking). */
  historiesPerSecond: Math.round((run / runSeconds) * 100) / 100,
  runSeconds: Math.round(runSeconds * 10) / 10,
  maxCommands: options.maxCommands,
  iam: options.iam,
  failuresByInvariant,
  /** Each failed history (the first 20): its run index and its first broken promise, unshrunk. */
  failed: failures.slice(0, 20).map((failure) => ({
    run: failure.run,
    invariants: failure.invariants,
    first: failure.message.split('\n')[0],
  })),
  counterexample: counterexample ?? null,
};
if (options.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const lines = [
    `${report.runs} histories, ${report.failures} broke an invariant (seed ${report.seed}, ${wallSeconds} s, ${report.historiesPerSecond} histories/s)`,
    ...Object.entries(failuresByInvariant).map(([invariant, count]) => `  ${invariant}: ${count}`),
    ...report.failed.map((failure) => `  history ${failure.run}: ${failure.first}`),
  ];
  if (counterexample) {
    lines.push(
      `shrunk counterexample${counterexample.fullyShrunk ? '' : ' (shrinking stopped early)'}:`,
      ...counterexample.commands.map((command) => `  ${command}`),
      'broke:',
      ...counterexample.violations.map((violation) => `  [${violation.invariant}] ${violation.message}`),
      'what happened:',
      ...counterexample.log.map((line) => `  ${line}`),
      `replay: npm run soak -- --runs 1 --seed ${counterexample.replay.seed} --path ${counterexample.replay.path}${
        counterexample.replay.replayPath ? ` --replay-path '${counterexample.replay.replayPath}'` : ''
      }`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
process.exit(failures.length === 0 ? 0 : 1);

/** One worker's report, as it prints it with --json. */
interface WorkerReport {
  readonly runs: number;
  readonly failures: number;
  readonly seed: number;
  readonly runSeconds: number;
  readonly failuresByInvariant: Record<string, number>;
  readonly failed: readonly unknown[];
  readonly counterexample: Counterexample | null;
}

/** Runs the histories in `options.workers` child processes (seeds S, S + 1, ...) and prints one report. */
async function soakInWorkers(): Promise<never> {
  const workers = Math.min(options.workers, options.runs);
  const began = performance.now();
  const shares = Array.from(
    { length: workers },
    (_, i) => Math.floor(options.runs / workers) + (i < options.runs % workers ? 1 : 0),
  );
  const reports = await Promise.all(
    shares.map(
      (runs, i) =>
        new Promise<WorkerReport>((resolve, reject) => {
          const args = [
            '--import',
            'tsx',
            new URL(import.meta.url).pathname,
            ...workerArguments(options, i, runs),
          ];
          const child = execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
            try {
              resolve(JSON.parse(stdout) as WorkerReport);
            } catch {
              reject(new Error(`soak worker ${i} gave no report (${error?.message ?? 'no output'})`));
            }
          });
          child.stderr?.on('data', (chunk) => process.stderr.write(`[${i}] ${chunk}`));
        }),
    ),
  );
  const byInvariant: Record<string, number> = {};
  for (const report of reports) {
    for (const [invariant, count] of Object.entries(report.failuresByInvariant)) {
      byInvariant[invariant] = (byInvariant[invariant] ?? 0) + count;
    }
  }
  const runs = reports.reduce((sum, report) => sum + report.runs, 0);
  const failures = reports.reduce((sum, report) => sum + report.failures, 0);
  const wallSeconds = Math.round((performance.now() - began) / 100) / 10;
  const combined = {
    runs,
    failures,
    seed: options.seed,
    seeds: reports.map((report) => report.seed),
    workers,
    wallSeconds,
    historiesPerSecond: Math.round((runs / wallSeconds) * 100) / 100,
    maxCommands: options.maxCommands,
    iam: options.iam,
    failuresByInvariant: byInvariant,
    failed: reports
      .flatMap((report) => report.failed.map((failure) => ({ seed: report.seed, ...(failure as object) })))
      .slice(0, 20),
    counterexample: reports.find((report) => report.counterexample)?.counterexample ?? null,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(combined, null, 2)}\n`);
  else {
    process.stdout.write(
      `${runs} histories in ${workers} workers, ${failures} broke an invariant (seeds ${combined.seeds.join(', ')}, ${wallSeconds} s, ${combined.historiesPerSecond} histories/s)\n`,
    );
    if (combined.counterexample)
      process.stdout.write(`${JSON.stringify(combined.counterexample, null, 2)}\n`);
  }
  process.exit(failures === 0 ? 0 : 1);
}
