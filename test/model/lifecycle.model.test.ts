import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { historyArbitrary, runHistory } from './history.ts';
import { startWorld, type World } from './world.ts';

/**
 * Issue 12's model-based test: random histories of operators, Secrets Manager, time, the sweep, failing
 * AWS services and crashing Lambdas, against the real handlers and workflows on the local stand-ins; the
 * invariants (invariants.ts) are checked after every command and once the system has settled.
 *
 * Budget: npm test runs on 2 cores in under 4 minutes and this file gets about 25 s of it, far short of
 * the "few hundred" histories issue 12 asks for. Measured with `npm run soak` on this 2-core machine,
 * histories of up to 8 commands: 1.15 histories/s when it is quiet (0.96 with IAM on), 0.35-0.55 while
 * other work shares it (load 5-10); this file's 12 histories of up to 6 commands took 20-30 s under load,
 * plus ~5 s to start the system. So MODEL_RUNS defaults to 12 and the soak runs the many. What keeps a
 * history cheap: one system serves every history (fresh app ids; items and mails cleared between), IAM
 * is off (a fifth more histories; test/local/iam.test.ts covers permissions), retries wait milliseconds,
 * and the clock jumps.
 *
 * The seed is fixed so that a run is reproducible (MODEL_SEED overrides it; fast-check prints seed, path
 * and the shrunk counterexample on failure; replay it with `npm run soak -- --runs 1 --seed S --path P
 * --replay-path R`).
 */
const SEED = Number(process.env.MODEL_SEED ?? 20_261_202);
const RUNS = Number(process.env.MODEL_RUNS ?? 12);
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
