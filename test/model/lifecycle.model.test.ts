import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { historyArbitrary, runHistory } from './history.ts';
import { startWorld, type World } from './world.ts';

/**
 * Issue 12's model-based test: random histories of operators, Secrets Manager, time, the sweep, failing
 * AWS services and crashing Lambdas, against the real handlers and workflows on the local stand-ins; the
 * invariants (invariants.ts) are checked after every command and once the system has settled.
 *
 * Budget: npm test runs on 2 cores in under 4 minutes and this file gets about 25 s of it. One system
 * serves every history (fresh apps each), IAM is off (test/local/iam.test.ts covers permissions), and a
 * history has at most 6 commands. Measured on the 2-core machine (shared): about 0.8 s per history
 * plus ~8 s to start, hence MODEL_RUNS defaults to 20. `npm run soak -- --runs N` runs many more.
 *
 * The seed is fixed so that a run is reproducible (MODEL_SEED overrides it; fast-check prints seed, path
 * and the shrunk counterexample on failure; replay it with `npm run soak -- --runs 1 --seed S --path P
 * --replay-path R`).
 */
const SEED = Number(process.env.MODEL_SEED ?? 20_261_202);
const RUNS = Number(process.env.MODEL_RUNS ?? 20);
const MAX_COMMANDS = 6;
/** Shrinking a failure re-runs histories; it stops after this long and reports the smallest found so far. */
const SHRINK_MS = 60_000;

let world: World;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  world = await startWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('Model: the token lifecycle over random histories', () => {
  it(
    `keeps every promise of DESIGN §2 over ${RUNS} histories (seed ${SEED})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(historyArbitrary(MAX_COMMANDS), (history) => runHistory(world, history)),
        {
          seed: SEED,
          numRuns: RUNS,
          interruptAfterTimeLimit: RUNS * 5_000 + SHRINK_MS,
          markInterruptAsFailure: false,
        },
      );
    },
    RUNS * 5_000 + SHRINK_MS + 30_000,
  );
});
