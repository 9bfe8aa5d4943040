import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { installVirtualDate, PROCESS_OFFSET } from './virtualDate.ts';

/** How often a persisted clock writes its time down between jumps. */
const SAVE_EVERY_MS = 1_000;

export interface VirtualClockOptions {
  /** Where virtual time starts. @default the real time now */
  readonly start?: Date;
  /**
   * How many virtual seconds a wait covers per real second: with 86,400 a day-long wait takes one
   * second. Outside waits the clock runs at the real rate.
   */
  readonly speed: number;
  /**
   * Keep the clock in this file (written at every jump, and every second), and resume from it: virtual
   * time goes on from the saved time plus the real time since, so it never runs backwards, not even
   * after a kill -9. Ignored when `start` is given.
   */
  readonly stateFile?: string;
}

interface SavedClock {
  readonly virtualNow: string;
  readonly realNow?: string;
}

/** Where a persisted clock resumes: the saved virtual time plus the real time since it was saved. */
function resumeFrom(file: string): number {
  const realNow = Date.now();
  if (!existsSync(file)) return realNow;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedClock;
    const virtual = Date.parse(saved.virtualNow);
    const real = Date.parse(saved.realNow ?? saved.virtualNow);
    if (Number.isNaN(virtual)) return realNow;
    return Math.max(virtual + Math.max(0, realNow - (Number.isNaN(real) ? realNow : real)), realNow);
  } catch {
    return realNow;
  }
}

/**
 * Local mode's clock. Installing it makes `Date` in this process (and in every local Lambda's worker
 * thread, which read the same shared offset) read virtual time (only `Date`: timers stay real), so
 * every handler, the SES stand-in and the Step Functions history stamp the same story. A workflow's
 * Wait passes through {@link VirtualClock.sleepUntil}: it takes a real `1/speed` of the virtual time it
 * waits, then moves the clock to the time waited for. Virtual time never runs backwards.
 */
export class VirtualClock {
  public readonly speed: number;
  readonly #virtualStart: number;
  readonly #uninstall: () => void;
  #stateFile: string | undefined;
  #saver: NodeJS.Timeout | undefined;
  #holds = 0;
  #released: (() => void)[] = [];

  private constructor(speed: number, uninstall: () => void) {
    this.speed = speed;
    this.#uninstall = uninstall;
    this.#virtualStart = Date.now();
  }

  /** Replaces `Date` in this process until {@link VirtualClock.uninstall}. */
  public static install(options: VirtualClockOptions): VirtualClock {
    if (!(Number.isFinite(options.speed) && options.speed >= 1)) {
      throw new RangeError(`speed must be a number of at least 1 (got ${options.speed})`);
    }
    const realNow = Date.now();
    const start = options.start?.getTime() ?? (options.stateFile ? resumeFrom(options.stateFile) : realNow);
    PROCESS_OFFSET[0] = start - realNow;
    const clock = new VirtualClock(options.speed, installVirtualDate(PROCESS_OFFSET));
    if (options.stateFile) {
      clock.#stateFile = options.stateFile;
      clock.#save();
      clock.#saver = setInterval(() => clock.#save(), SAVE_EVERY_MS);
      clock.#saver.unref();
    }
    return clock;
  }

  /** Writes the time down (atomically: a crash mid-write leaves the last complete one). */
  #save(): void {
    if (!this.#stateFile) return;
    const saved: SavedClock = {
      virtualNow: new Date(this.now()).toISOString(),
      realNow: new Date(this.now() - (PROCESS_OFFSET[0] ?? 0)).toISOString(),
    };
    writeFileSync(`${this.#stateFile}.tmp`, `${JSON.stringify(saved)}\n`);
    renameSync(`${this.#stateFile}.tmp`, this.#stateFile);
  }

  /** Virtual milliseconds since the epoch (what `Date.now()` returns while installed). */
  public now(): number {
    return Date.now();
  }

  /** Virtual time passed since the clock was installed, in milliseconds. */
  public elapsed(): number {
    return this.now() - this.#virtualStart;
  }

  /** Moves the clock forward to `untilMs`; never backwards. */
  public advanceTo(untilMs: number): void {
    const ahead = untilMs - this.now();
    if (ahead <= 0) return;
    PROCESS_OFFSET[0] = (PROCESS_OFFSET[0] ?? 0) + ahead;
    // Before anything acts on the new time, so that a crash right after cannot take it back.
    this.#save();
  }

  /**
   * Waits a real `(untilMs - now) / speed` milliseconds, then moves the clock to `untilMs`; returns
   * at once, with the clock unmoved, when `signal` aborts.
   */
  public async sleepUntil(untilMs: number, signal?: AbortSignal): Promise<void> {
    const realMs = Math.max(0, (untilMs - this.now()) / this.speed);
    if (signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(realMs, 2_147_483_647));
      signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
    });
    while (this.#holds > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        this.#released.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    if (!signal?.aborted) this.advanceTo(untilMs);
  }

  /**
   * Holds virtual time: waits that end meanwhile do not move the clock or return until the hold is
   * released (a stopped wait still returns at once). A scenario holds time while it plays a person who
   * takes a moment, such as an admin handing over a HubSpot token, so that no virtual day passes meanwhile.
   *
   * @example
   * const release = clock.hold();
   * try { await submitToken(); } finally { release(); }
   */
  public hold(): () => void {
    this.#holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds -= 1;
      if (this.#holds === 0) for (const resolve of this.#released.splice(0)) resolve();
    };
  }

  /** Gives `Date` back (and real time to the worker threads). */
  public uninstall(): void {
    if (this.#saver) clearInterval(this.#saver);
    this.#save();
    this.#stateFile = undefined;
    this.#uninstall();
    PROCESS_OFFSET[0] = 0;
  }
}
