import { VirtualClock } from '../../local/clock.ts';

interface Sleeper {
  readonly untilMs: number;
  readonly wake: () => void;
}

/**
 * The model's clock: virtual time (local mode's shared `Date` offset, seen by every Lambda worker) that
 * moves only when a history says so. A workflow's Wait parks here until {@link ModelClock.advanceBy}
 * reaches its time; the clock then stops at each wake-up in turn and lets the system settle before it
 * goes on, so a 24-hour notice and the expiry a day later each happen at their own virtual time.
 */
export class ModelClock {
  readonly #clock: VirtualClock;
  #sleepers: Sleeper[] = [];

  private constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /** Installs virtual time at the real time now (speed 1: between jumps it runs as a wall clock). */
  public static install(): ModelClock {
    return new ModelClock(VirtualClock.install({ speed: 1 }));
  }

  public now(): number {
    return this.#clock.now();
  }

  /**
   * Local mode holds virtual time while a function runs (no leap inside one task). This clock never leaps
   * by itself: a history moves it only once the system is idle, so there is nothing to hold.
   */
  public hold(): () => void {
    return () => undefined;
  }

  /** How many waits are parked (each running workflow at rest waits in exactly one). */
  public parked(): number {
    return this.#sleepers.length;
  }

  /** The Step Functions service's way to wait: until the history moves the clock to `untilMs`, or `signal` aborts. */
  public sleepUntil(untilMs: number, signal: AbortSignal): Promise<void> {
    if (untilMs <= this.now() || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        untilMs,
        wake: () => {
          this.#sleepers = this.#sleepers.filter((other) => other !== sleeper);
          signal.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      this.#sleepers.push(sleeper);
      signal.addEventListener('abort', sleeper.wake, { once: true });
    });
  }

  /**
   * Moves virtual time forward by `ms`, stopping at every parked wait that falls due on the way: the clock
   * goes to that wait's time, wakes it (and any due with it), and awaits `settled` before moving on.
   */
  public async advanceBy(ms: number, settled: () => Promise<void>): Promise<void> {
    const target = this.now() + ms;
    for (;;) {
      await settled();
      const due = this.#sleepers.filter((sleeper) => sleeper.untilMs <= target);
      if (due.length === 0) break;
      const next = Math.min(...due.map((sleeper) => sleeper.untilMs));
      this.#clock.advanceTo(next);
      for (const sleeper of due.filter((candidate) => candidate.untilMs <= next)) sleeper.wake();
    }
    this.#clock.advanceTo(target);
    await settled();
  }

  /** Gives `Date` back. */
  public uninstall(): void {
    for (const sleeper of [...this.#sleepers]) sleeper.wake();
    this.#clock.uninstall();
  }
}
