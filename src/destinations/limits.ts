// The per-destination limits: requests in flight (`concurrency`) and requests started per second
// (`ratePerSecond`).
import { setTimeout as sleepFor } from 'node:timers/promises';

/** At most `permits` holders at once; waiters are served in arrival order. */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly permits: number) {
    this.available = permits;
  }

  acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.available++;
  }

  get inUse(): number {
    return this.permits - this.available;
  }
}

/**
 * Spaces request starts at least 1/rate seconds apart (no bursts): in any window of one second at most
 * `rate` requests start (plus one at the window's very edge).
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private next = 0;

  /** `now` and `sleep` are the real clock's unless a test gives its own. */
  constructor(
    ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<unknown> = sleepFor,
  ) {
    this.intervalMs = 1000 / ratePerSecond;
  }

  /** Resolves when the caller may start its request. */
  async take(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    // setTimeout rounds to whole milliseconds and may fire up to 1 ms early: wait until the slot has come.
    for (let wait = at - now; wait > 0; wait = at - this.now()) await this.sleep(Math.ceil(wait));
  }
}
