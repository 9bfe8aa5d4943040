import { type Clock, install } from '@sinonjs/fake-timers';

export interface VirtualClockOptions {
  /** Where virtual time starts. @default the real time now */
  readonly start?: Date;
  /**
   * How many virtual seconds a wait covers per real second: with 86,400 a day-long wait takes one
   * second. Outside waits the clock runs at the real rate.
   */
  readonly speed: number;
}

/**
 * Local mode's clock. Installing it makes `Date` in this process read virtual time (only `Date`:
 * timers stay real), so every handler, the SES stand-in and the Step Functions history stamp the same
 * story. A workflow's Wait passes through {@link VirtualClock.sleepUntil}: it takes a real
 * `1/speed` of the virtual time it waits, then moves the clock to the time waited for.
 */
export class VirtualClock {
  public readonly speed: number;
  readonly #fake: Clock;
  readonly #virtualStart: number;
  #holds = 0;
  #released: (() => void)[] = [];

  private constructor(fake: Clock, speed: number) {
    this.#fake = fake;
    this.speed = speed;
    this.#virtualStart = fake.now;
  }

  /** Replaces `Date` in this process until {@link VirtualClock.uninstall}. */
  public static install(options: VirtualClockOptions): VirtualClock {
    if (!(Number.isFinite(options.speed) && options.speed >= 1)) {
      throw new RangeError(`speed must be a number of at least 1 (got ${options.speed})`);
    }
    const fake = install({
      now: options.start ?? Date.now(),
      toFake: ['Date'],
      shouldAdvanceTime: true,
      advanceTimeDelta: 10,
    });
    return new VirtualClock(fake, options.speed);
  }

  /** Virtual milliseconds since the epoch (what `Date.now()` returns while installed). */
  public now(): number {
    return this.#fake.now;
  }

  /** Virtual time passed since the clock was installed, in milliseconds. */
  public elapsed(): number {
    return this.now() - this.#virtualStart;
  }

  /** Moves the clock forward to `untilMs`; never backwards. */
  public advanceTo(untilMs: number): void {
    if (untilMs > this.now()) this.#fake.setSystemTime(untilMs);
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

  /** Gives `Date` back. */
  public uninstall(): void {
    this.#fake.uninstall();
  }
}
