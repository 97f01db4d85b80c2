/**
 * Garbage detection for one port: link-level errors (CRC, COBS, bad frames) and messages that do not
 * decode, counted in a sliding time window. A device over the limit is quarantined (its link is closed
 * and the port left alone for a while); the other ports carry on.
 */
export interface HealthOptions {
  /** Length of the sliding window. */
  readonly windowMs: number;
  /** Errors within the window that quarantine the device. */
  readonly maxErrors: number;
  /** A link whose device has not said HELLO (§4.2) by then is quarantined. */
  readonly helloTimeoutMs: number;
  /** How long a quarantined port is left alone before it is tried again. */
  readonly holdMs: number;
}

export const HEALTH_DEFAULTS: HealthOptions = {
  windowMs: 10_000,
  maxErrors: 50,
  helloTimeoutMs: 15_000,
  holdMs: 300_000,
};

export class ErrorWindow {
  readonly #events: { at: number; n: number }[] = [];
  #total = 0;

  constructor(private readonly windowMs: number) {}

  /** Adds `n` errors at `now`; returns the count within the window. */
  add(now: number, n = 1): number {
    if (n > 0) this.#events.push({ at: now, n });
    return this.count(now);
  }

  count(now: number): number {
    while (this.#events.length > 0 && this.#events[0]!.at <= now - this.windowMs) this.#events.shift();
    this.#total = this.#events.reduce((a, e) => a + e.n, 0);
    return this.#total;
  }
}
