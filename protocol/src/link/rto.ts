/** Retransmission timeout estimator after RFC 6298 (PROTOCOL.md §3.5.6). */

export interface RtoOptions {
  readonly initialMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Clock granularity G of RFC 6298 §2. */
  readonly granularityMs?: number;
}

export class RtoEstimator {
  private srttMs: number | undefined;
  private rttvarMs = 0;
  private rtoMs: number;

  constructor(private readonly opt: RtoOptions) {
    this.rtoMs = opt.initialMs;
  }

  /** Current timeout in ms. */
  get rto(): number {
    return this.rtoMs;
  }

  /** Smoothed round-trip time in ms, undefined before the first sample. */
  get srtt(): number | undefined {
    return this.srttMs;
  }

  /** One RTT measurement of a frame sent once (Karn's rule is the caller's). RFC 6298 §2.2–2.3. */
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srttMs === undefined) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    const g = this.opt.granularityMs ?? 1;
    this.rtoMs = this.clamp(this.srttMs + Math.max(g, 4 * this.rttvarMs));
  }

  /** RFC 6298 §5.5: double the timeout after it expired. */
  backoff(): void {
    this.rtoMs = this.clamp(this.rtoMs * 2);
  }

  reset(): void {
    this.srttMs = undefined;
    this.rttvarMs = 0;
    this.rtoMs = this.opt.initialMs;
  }

  private clamp(v: number): number {
    return Math.min(this.opt.maxMs, Math.max(this.opt.minMs, v));
  }
}
