/**
 * Exponential backoff with jitter: attempt n waits min(max, base * 2^n) scaled by a random factor in
 * [1 - jitter, 1]. Used for MQTT reconnects (PROTOCOL.md §2.6 item 5: 1 s to 60 s with random jitter)
 * and for reopening serial ports.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Fraction of the delay that is random, 0..1. */
  readonly jitter?: number;
  readonly random?: () => number;
}

export class Backoff {
  #attempt = 0;
  constructor(private readonly o: BackoffOptions) {}

  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call doubles the next one, up to the maximum. */
  next(): number {
    const exp = Math.min(this.o.maxMs, this.o.baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const jitter = this.o.jitter ?? 0.5;
    const r = (this.o.random ?? Math.random)();
    return Math.max(0, Math.round(exp * (1 - jitter * r)));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
