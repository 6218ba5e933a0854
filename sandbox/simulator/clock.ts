/**
 * A virtual clock for discrete-event simulation.
 *
 * Everything in the sandbox (RDS copy progress, snapshot ages, Step Functions Wait states, handler
 * `now()`) reads time from one `VirtualClock`. Nothing sleeps for real: `sleep(seconds)` parks the
 * caller until virtual time reaches its wake-up instant, and the clock jumps to the earliest
 * wake-up once every simulated actor is parked (no microtask or macrotask work left), so a
 * ten-hour RDS copy polled every fifteen minutes takes milliseconds of wall time, and two
 * executions that each wait ten hours side by side advance the clock by ten hours, not twenty.
 *
 * Work that waits on real I/O (module imports on a Lambda's first call) is declared with `busy()`
 * so the clock cannot mistake it for idleness.
 *
 * Units: `now()` is a `Date` (UTC); `sleep` and `advance` take seconds.
 */
export class VirtualClock {
  private currentMs: number;
  private sleepers: Array<{ wakeAtMs: number; seq: number; resolve: () => void }> = [];
  private seq = 0;
  private driving = false;
  private busyCount = 0;
  private idleWaiters: Array<() => void> = [];

  /** @param start the initial virtual instant (UTC). */
  constructor(start: Date = new Date('2026-11-20T05:00:00.000Z')) {
    this.currentMs = start.getTime();
  }

  /** The current virtual time. */
  now(): Date {
    return new Date(this.currentMs);
  }

  /** The current virtual time in epoch milliseconds. */
  nowMs(): number {
    return this.currentMs;
  }

  /** ISO-8601 UTC string of the current virtual time. */
  iso(): string {
    return new Date(this.currentMs).toISOString();
  }

  /**
   * Moves virtual time forward by `seconds` at once, waking every sleeper whose instant has come.
   * For tests that age snapshots between runs. Throws RangeError for a negative or non-finite value.
   */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`advance(${seconds}): seconds must be >= 0`);
    this.currentMs += Math.round(seconds * 1000);
    this.wakeDue();
  }

  /**
   * Resolves when virtual time has advanced by `seconds` (0 resolves on the next idle turn).
   * The clock advances by itself once every actor is idle; see the class comment.
   * An abort of `signal` rejects with the signal's reason and removes the sleeper from the queue
   * (a cancelled timeout must not make virtual time jump).
   */
  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) return Promise.reject(new RangeError(`sleep(${seconds}): seconds must be >= 0`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const sleeper = { wakeAtMs: this.currentMs + Math.round(seconds * 1000), seq: this.seq++, resolve };
      if (signal) {
        // An aborted sleeper leaves the queue at once, so time never jumps to its wake-up for nobody.
        const onAbort = () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        sleeper.resolve = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      }
      this.sleepers.push(sleeper);
      this.drive();
    });
  }

  /** Sleeps until the given virtual instant (resolves at once when it has passed). */
  sleepUntil(when: Date): Promise<void> {
    return this.sleep(Math.max(0, (when.getTime() - this.currentMs) / 1000));
  }

  /**
   * Runs `work` as busy: virtual time does not move until it settles, even if it waits on real
   * I/O (a module import, a file read) that the idle detection could mistake for everyone parked.
   * The local runner wraps every Lambda invocation and service call in it. Do not wrap work that
   * itself sleeps on this clock (it would never wake).
   */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    this.busyCount++;
    try {
      return await work();
    } finally {
      this.busyCount--;
      if (this.busyCount === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /** Number of actors currently parked in `sleep`. */
  get pending(): number {
    return this.sleepers.length;
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.wakeAtMs <= this.currentMs).sort((a, b) => a.wakeAtMs - b.wakeAtMs || a.seq - b.seq);
    if (due.length === 0) return;
    this.sleepers = this.sleepers.filter((s) => s.wakeAtMs > this.currentMs);
    for (const s of due) s.resolve();
  }

  /** Lets all pending work settle (several macrotask turns), then jumps to the earliest wake-up. */
  private drive(): void {
    if (this.driving) return;
    this.driving = true;
    const step = async (): Promise<void> => {
      try {
        while (this.sleepers.length > 0) {
          if (this.busyCount > 0) {
            await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
            continue;
          }
          const before = this.seq;
          await settle();
          if (this.busyCount > 0) continue;
          // Someone parked while we were settling: let them settle too, so simultaneous actors
          // register before time moves (deterministic ordering).
          if (this.seq !== before) continue;
          // Every sleeper may have been aborted while we settled (a cancelled timeout): then nobody waits.
          if (this.sleepers.length === 0) break;
          const next = this.sleepers.reduce((min, s) => Math.min(min, s.wakeAtMs), Number.POSITIVE_INFINITY);
          if (next > this.currentMs) this.currentMs = next;
          this.wakeDue();
        }
      } finally {
        this.driving = false;
      }
    };
    void step();
  }
}

/** Waits for several macrotask turns so that promise chains and setImmediate work run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
