import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { RotationPolicy } from '../../lambda/contract/appSettings.ts';
import { localFaults } from '../../local/faults.ts';
import { commandArbitraries, InvariantViolation, type Model, type Real } from './commands.ts';
import { checkInvariants, checkSettled, newMemory } from './invariants.ts';
import { takeSnapshot } from './snapshot.ts';
import type { World } from './world.ts';

/** One history: the first app's settings and the commands that follow. */
export interface History {
  readonly policy: RotationPolicy;
  readonly intervalDays: number;
  readonly commands: Iterable<fc.AsyncCommand<Model, Real>>;
}

/** The replay path fast-check gives a history's commands (`/*replayPath="..."*\/` in their text), if any. */
export function replayPathOf(history: History): string | undefined {
  return /replayPath="([^"]*)"/.exec(String(history.commands))?.[1];
}

/** Histories of at most `maxCommands` commands (short ones: each command costs real seconds). */
export function historyArbitrary(maxCommands: number, replayPath?: string): fc.Arbitrary<History> {
  return fc.record({
    policy: fc.constantFrom<RotationPolicy>('remind', 'auto'),
    intervalDays: fc.constantFrom(3, 30, 180),
    commands: fc.commands(commandArbitraries(), { maxCommands, ...(replayPath ? { replayPath } : {}) }),
  });
}

/** How long "settled" looks ahead: past the daily sweep and the hour after which a lock counts as stuck. */
const SETTLE_MS = 25 * 3_600_000;

/**
 * Runs one history on the shared world: fresh apps, the commands with the invariants checked after each,
 * then the end of every fault, a day, a sweep, and the checks of a settled system. Throws an
 * {@link InvariantViolation} at the first broken promise.
 */
export async function runHistory(world: World, history: History): Promise<void> {
  await world.reset();
  const real: Real = {
    world,
    memory: newMemory(),
    apps: [],
    stem: `m-${randomBytes(4).toString('hex')}`,
    log: [],
    refused: [],
    alongside: [],
  };
  const first = `${real.stem}-0`;
  await world.enroll(first, history.policy, history.intervalDays);
  real.apps.push(first);
  real.log.push(`register(app0, ${history.policy}, due every ${history.intervalDays}d) → ${first}`);
  await fc.asyncModelRun(() => ({ model: { apps: 1 }, real }), history.commands);

  // The world goes on with the faults still planned, until it rests; then the outage ends.
  await Promise.all(real.alongside.splice(0));
  await world.idle();
  const pending = localFaults.pending();
  localFaults.clear();
  real.log.push(
    `settle: faults end${Object.keys(pending).length > 0 ? ` (unused: ${JSON.stringify(pending)})` : ''}, 25h pass, sweep`,
  );
  await world.clock.advanceBy(SETTLE_MS, world.idle);
  await world.sweep();
  const snapshot = await takeSnapshot(world, real.apps);
  const problems = [...checkInvariants(snapshot, real.memory), ...checkSettled(snapshot, real.memory)];
  if (process.env.MODEL_TRACE) process.stderr.write(`history:\n  ${real.log.join('\n  ')}\n`);
  if (problems.length > 0) throw new InvariantViolation(problems, real.log);
}
