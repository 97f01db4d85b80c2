/** Hard constraints of a target (RAM, flash, latency) and the check of an estimate against them. */
import type { CostEstimate } from './estimate.js';
import type { TargetProfile } from './profiles.js';

/** Default MACs cap: 25 M (about 0.8 s on a 64 MHz Cortex-M4 at 2 cycles/MAC). */
export const DEFAULT_MAX_MACS = 25e6;

export interface Constraints {
  readonly ramBytes: number;
  readonly flashBytes: number;
  /** Estimated latency limit in ms (none if absent). */
  readonly latencyMs?: number;
  /**
   * MACs per inference. Besides being a latency bound, it caps what the proxies must run: scoring
   * trains nothing but still runs forward / backward passes at the proxy batch size.
   */
  readonly maxMacs: number;
  readonly clockHz: number;
  readonly cyclesPerMac: number;
}

export function constraintsFor(
  p: TargetProfile,
  o: { ramBytes?: number; flashBytes?: number; latencyMs?: number; maxMacs?: number } = {},
): Constraints {
  return {
    maxMacs: o.maxMacs ?? DEFAULT_MAX_MACS,
    ramBytes: o.ramBytes ?? p.ramBytes,
    flashBytes: o.flashBytes ?? p.flashBytes,
    ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
    clockHz: p.clockHz,
    cyclesPerMac: p.cyclesPerMac,
  };
}

/** MACs x cycles/MAC / clock, in ms (a coarse estimate). */
export function estimateLatencyMs(macs: number, c: Pick<Constraints, 'clockHz' | 'cyclesPerMac'>): number {
  return ((macs * c.cyclesPerMac) / c.clockHz) * 1000;
}

/** Names of the violated constraints (empty: feasible). */
export function violations(e: CostEstimate, c: Constraints): string[] {
  const v: string[] = [];
  if (e.ramBytes > c.ramBytes) v.push('ram');
  if (e.flashBytes > c.flashBytes) v.push('flash');
  if (c.latencyMs !== undefined && estimateLatencyMs(e.macs, c) > c.latencyMs) v.push('latency');
  if (e.macs > c.maxMacs) v.push('macs');
  return v;
}

/** Total relative excess over the limits (0 when feasible); NSGA-II ranks infeasible ones by it. */
export function constraintViolation(e: CostEstimate, c: Constraints): number {
  let s = Math.max(0, e.ramBytes / c.ramBytes - 1) + Math.max(0, e.flashBytes / c.flashBytes - 1);
  if (c.latencyMs !== undefined) s += Math.max(0, estimateLatencyMs(e.macs, c) / c.latencyMs - 1);
  s += Math.max(0, e.macs / c.maxMacs - 1);
  return s;
}
