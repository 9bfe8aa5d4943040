import { randomUUID } from 'node:crypto';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import type { RotationPolicy } from '../../lambda/contract/appSettings.ts';
import { FAULTY_SERVICES, type FaultyService, localFaults, type ServiceFault } from '../../local/faults.ts';
import { checkInvariants, type Memory, type Violation } from './invariants.ts';
import { takeSnapshot } from './snapshot.ts';
import type { World } from './world.ts';

/**
 * The commands of a history (fast-check's `fc.commands`): what operators, Secrets Manager, time and
 * failing AWS services do to one local Rotor. The model is small on purpose: which apps exist. The
 * oracle is the real state, judged by the invariants after every command that changed something.
 */

/** What the generator knows while it builds a history. */
export interface Model {
  apps: number;
}

/** The system a history runs against, and what the history has seen of it. */
export interface Real {
  readonly world: World;
  readonly memory: Memory;
  /** The history's apps (fresh ids, so histories on one system never meet). */
  readonly apps: string[];
  /** The history's own stem for app ids. */
  readonly stem: string;
  /** One line per command: what it did and what the system answered (ids and statuses, never a token). */
  readonly log: string[];
  /** Apps whose registration was refused: none of them may be registered. */
  readonly refused: string[];
  /** Commands still running alongside the next one. */
  readonly alongside: Promise<void>[];
}

/** A violated invariant, with the history's log: what fast-check shrinks on and prints. */
export class InvariantViolation extends Error {
  public constructor(
    public readonly violations: readonly Violation[],
    public readonly log: readonly string[],
  ) {
    super(
      `${violations.map((v) => `[${v.invariant}] ${v.message}`).join('\n')}\nwhat happened:\n  ${log.join('\n  ')}`,
    );
    this.name = 'InvariantViolation';
  }
}

type ModelCommand = fc.AsyncCommand<Model, Real>;

const HOUR_MS = 3_600_000;
/** MODEL_TRACE=1: each log line says how long its command took. */
const TRACE = Boolean(process.env.MODEL_TRACE);

function appOf(real: Real, index: number): string {
  return real.apps[index % real.apps.length] as string;
}

/** "apps add" that failed registers nothing (no app item is left for the sweep or the API to trip over). */
async function halfRegistered(real: Real): Promise<Violation[]> {
  if (real.refused.length === 0) return [];
  const left = await takeSnapshot(real.world, real.refused);
  return left.apps.map((app) => ({
    invariant: 'no-app-stuck' as const,
    message: `app ${app.appId} is registered (${app.state}) although its registration was refused`,
  }));
}

/** Awaits what ran alongside, lets the system come to rest, and checks every invariant. */
export async function settleAndCheck(real: Real): Promise<void> {
  await Promise.all(real.alongside.splice(0));
  await real.world.idle();
  const problems = [
    ...checkInvariants(await takeSnapshot(real.world, real.apps), real.memory),
    ...(await halfRegistered(real)),
  ];
  if (problems.length > 0) throw new InvariantViolation(problems, real.log);
}

/** A command that changes the system: run it, then (unless it overlaps the next) check the invariants. */
abstract class SystemCommand implements ModelCommand {
  protected constructor(protected readonly overlap: boolean) {}

  public check(model: Readonly<Model>): boolean {
    return model.apps > 0;
  }

  public async run(_model: Model, real: Real): Promise<void> {
    const startedAt = performance.now();
    const took = () => (TRACE ? ` (${Math.round(performance.now() - startedAt)} ms)` : '');
    const done = this.act(real).then(
      (outcome) => {
        real.log.push(`${this.toString()} → ${outcome}${took()}`);
      },
      (error: Error) => {
        real.log.push(`${this.toString()} → threw ${error.name}: ${error.message}`);
      },
    );
    if (this.overlap) {
      real.log.push(`${this.toString()} started, the next command runs alongside`);
      real.alongside.push(done);
      return;
    }
    await done;
    await settleAndCheck(real);
  }

  protected abstract act(real: Real): Promise<string>;
  public abstract toString(): string;

  protected suffix(): string {
    return this.overlap ? ' &' : '';
  }
}

/**
 * An operator API call as the CLI makes it: one Idempotency-Key per command, retried with it (twice)
 * when the API answers 429 or 5xx.
 */
async function operatorCall(real: Real, method: string, path: string, body?: unknown): Promise<string> {
  const answers: string[] = [];
  const headers = { 'Idempotency-Key': randomUUID() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const answer = await real.world.call(method, path, { headers, ...(body === undefined ? {} : { body }) });
    answers.push(`${answer.status} ${answer.body?.message ?? answer.text.slice(0, 200)}`);
    if (answer.status < 500 && answer.status !== 429) break;
  }
  return answers.join(' | retried: ');
}

export class RegisterApp implements ModelCommand {
  public constructor(
    private readonly policy: RotationPolicy,
    private readonly intervalDays: number,
  ) {}
  public check(model: Readonly<Model>): boolean {
    return model.apps < 2;
  }
  public async run(model: Model, real: Real): Promise<void> {
    model.apps += 1;
    const appId = `${real.stem}-${model.apps - 1}`;
    try {
      await real.world.enroll(appId, this.policy, this.intervalDays);
      real.apps.push(appId);
      real.log.push(`${this.toString()} → ${appId}`);
    } catch (error) {
      // "apps add" may be refused (a failing service, a hook that dies in Secrets Manager's trial): then
      // nothing is registered, which the next look at the app checks.
      real.log.push(`${this.toString()} → refused: ${(error as Error).name}: ${(error as Error).message}`);
      real.refused.push(appId);
    }
    await settleAndCheck(real);
  }
  public toString(): string {
    return `register(another app, ${this.policy}, due every ${this.intervalDays}d)`;
  }
}

class Rotate extends SystemCommand {
  public constructor(
    private readonly app: number,
    private readonly mode: 'expire-now' | 'expire-later',
    private readonly graceHours: number,
    overlap: boolean,
  ) {
    super(overlap);
  }
  protected act(real: Real): Promise<string> {
    const body =
      this.mode === 'expire-now' ? { mode: this.mode } : { mode: this.mode, grace: `${this.graceHours}h` };
    return operatorCall(real, 'POST', `/apps/${appOf(real, this.app)}/rotations`, body);
  }
  public toString(): string {
    const grace = this.mode === 'expire-later' ? `, grace ${this.graceHours}h` : '';
    return `rotate(app${this.app}, ${this.mode}${grace})${this.suffix()}`;
  }
}

class EndGrace extends SystemCommand {
  public constructor(
    private readonly app: number,
    private readonly action: 'expire-now' | 'cancel',
    overlap: boolean,
  ) {
    super(overlap);
  }
  protected act(real: Real): Promise<string> {
    return operatorCall(real, 'POST', `/apps/${appOf(real, this.app)}/${this.action}`, {});
  }
  public toString(): string {
    return `${this.action}(app${this.app})${this.suffix()}`;
  }
}

/** Secrets Manager rotates by itself (its console's "Rotate secret immediately", or its schedule). */
class NativeRotation extends SystemCommand {
  public constructor(
    private readonly app: number,
    overlap: boolean,
  ) {
    super(overlap);
  }
  protected async act(real: Real): Promise<string> {
    const secret = `rotor/${appOf(real, this.app)}`;
    try {
      await real.world.secretsManager.send(new RotateSecretCommand({ SecretId: secret }));
      await real.world.system.secretsManagerRotations.whenRotationSettled(secret);
      return 'RotateSecret accepted';
    } catch (error) {
      return `RotateSecret refused: ${(error as Error).name}`;
    }
  }
  public toString(): string {
    return `secrets-manager-rotates(app${this.app})${this.suffix()}`;
  }
}

class Advance extends SystemCommand {
  public constructor(
    private readonly hours: number,
    overlap: boolean,
  ) {
    super(overlap);
  }
  protected async act(real: Real): Promise<string> {
    await real.world.clock.advanceBy(this.hours * HOUR_MS, real.world.idle);
    return `now ${new Date(real.world.clock.now()).toISOString()}`;
  }
  public toString(): string {
    return `advance(${this.hours}h)${this.suffix()}`;
  }
}

class Sweep extends SystemCommand {
  public constructor(overlap: boolean) {
    super(overlap);
  }
  protected async act(real: Real): Promise<string> {
    await real.world.sweep();
    return 'swept';
  }
  public toString(): string {
    return `sweep()${this.suffix()}`;
  }
}

/** The next `count` calls of the system to a service fail (its retries and the next tasks see them). */
class Fault implements ModelCommand {
  public constructor(
    private readonly service: FaultyService,
    private readonly fault: ServiceFault,
    private readonly count: number,
  ) {}
  public check(model: Readonly<Model>): boolean {
    return model.apps > 0;
  }
  public async run(_model: Model, real: Real): Promise<void> {
    localFaults.failNext(this.service, this.fault, this.count);
    real.memory.disturbed = true;
    real.log.push(this.toString());
  }
  public toString(): string {
    return `fault(${this.service} ${this.fault} ×${this.count})`;
  }
}

/** The functions a crash can hit: every task of the rotation and sweep workflows, the hook and the API. */
export const CRASHABLE = [
  'start-rotation',
  'check-promotion',
  'check-grace',
  'expire-old-token',
  'notify',
  'rollback-rotation',
  'rotation-hook',
  'operator-api',
  'find-due-apps',
  'sweep-app',
] as const;

/** The functions that send email (a crash of one may repeat a mail SES already took: issue 12's trade). */
const MAIL_SENDERS: readonly string[] = ['notify', 'operator-api'];

/** The next invocation of a function dies after its k-th AWS call was answered (0: before the first). */
class Crash implements ModelCommand {
  public constructor(
    private readonly handler: (typeof CRASHABLE)[number],
    private readonly afterCalls: number,
  ) {}
  public check(model: Readonly<Model>): boolean {
    return model.apps > 0;
  }
  public async run(_model: Model, real: Real): Promise<void> {
    localFaults.crashNext(this.handler, this.afterCalls);
    real.memory.disturbed = true;
    if (MAIL_SENDERS.includes(this.handler)) real.memory.mailRepeatsAllowed = true;
    real.log.push(this.toString());
  }
  public toString(): string {
    return `crash(${this.handler} after ${this.afterCalls} AWS call${this.afterCalls === 1 ? '' : 's'})`;
  }
}

const app = fc.nat({ max: 1 });
/** Mostly sequential; now and then a command runs alongside the next, for the races of issue 12. */
const overlap = fc.oneof(
  { weight: 5, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);

/** Draws `arbitrary` `weight` times as often as a command of weight 1 (fc.commands picks uniformly). */
function weighted<T>(weight: number, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T>[] {
  return Array.from({ length: weight }, () => arbitrary);
}

/** The commands of a history, with how often each is drawn. */
export function commandArbitraries(): fc.Arbitrary<ModelCommand>[] {
  return [
    ...weighted(
      1,
      fc
        .tuple(fc.constantFrom<RotationPolicy>('remind', 'auto'), fc.constantFrom(3, 30, 180))
        .map(([policy, days]) => new RegisterApp(policy, days)),
    ),
    ...weighted(
      2,
      fc.tuple(app, overlap).map(([a, o]) => new Rotate(a, 'expire-now', 0, o)),
    ),
    ...weighted(
      3,
      fc
        .tuple(app, fc.integer({ min: 1, max: 720 }), overlap)
        .map(([a, g, o]) => new Rotate(a, 'expire-later', g, o)),
    ),
    ...weighted(
      2,
      fc.tuple(app, overlap).map(([a, o]) => new EndGrace(a, 'expire-now', o)),
    ),
    ...weighted(
      2,
      fc.tuple(app, overlap).map(([a, o]) => new EndGrace(a, 'cancel', o)),
    ),
    ...weighted(
      1,
      fc.tuple(app, overlap).map(([a, o]) => new NativeRotation(a, o)),
    ),
    ...weighted(
      3,
      fc.tuple(fc.constantFrom(1, 6, 23, 25, 72, 192, 744), overlap).map(([h, o]) => new Advance(h, o)),
    ),
    ...weighted(
      1,
      overlap.map((o) => new Sweep(o)),
    ),
    ...weighted(
      2,
      fc
        .tuple(
          fc.constantFrom(...FAULTY_SERVICES),
          fc.constantFrom<ServiceFault>('throttling', 'server-error'),
          fc.integer({ min: 1, max: 8 }),
        )
        .map(([service, fault, count]) => new Fault(service, fault, count)),
    ),
    ...weighted(
      2,
      fc
        .tuple(fc.constantFrom(...CRASHABLE), fc.integer({ min: 0, max: 4 }))
        .map(([h, k]) => new Crash(h, k)),
    ),
  ];
}
