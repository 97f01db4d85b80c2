/**
 * Hard constraints of a target and their checks. The MCU table is the planner's (`plan/profiles.ts`,
 * the one source of truth): the RAM limit applies to the planner's `ram_bytes` (arena + runtime RAM),
 * the flash limit to the artifact size, by default one model slot (`slotBytes`: half of the flash left
 * after the firmware, A/B slots, PROTOCOL.md §4.6).
 */
import { type McuProfile, slotBytes } from '../../plan/profiles.js';
import type { CostEstimate } from './estimate.js';

/** Default MACs cap: 25 M (about 0.9 s on a 64 MHz Cortex-M4 at 2.2 cycles/MAC). */
export const DEFAULT_MAX_MACS = 25e6;

export interface Constraints {
  readonly profile: McuProfile;
  /** Limit of the planner's `ram_bytes` (runtime RAM included). */
  readonly ramBytes: number;
  /** Limit of the artifact size (one model slot by default). */
  readonly flashBytes: number;
  /** Latency limit in ms (none if absent). */
  readonly latencyMs?: number;
  /**
   * MACs per inference. Besides being a latency bound, it caps what the proxies must run: scoring
   * trains nothing but still runs forward / backward passes at the proxy batch size.
   */
  readonly maxMacs: number;
}

export interface ConstraintOverrides {
  readonly ramBytes?: number;
  readonly flashBytes?: number;
  readonly latencyMs?: number;
  readonly maxMacs?: number;
}

export function constraintsFor(p: McuProfile, o: ConstraintOverrides = {}): Constraints {
  return {
    profile: p,
    maxMacs: o.maxMacs ?? DEFAULT_MAX_MACS,
    ramBytes: o.ramBytes ?? p.ramBytes,
    flashBytes: o.flashBytes ?? slotBytes(p),
    ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
  };
}

/**
 * A lower bound of the planner's latency from MACs alone (the cheapest cycles per MAC of the profile;
 * pools, element-wise ops and per-op overheads only add to it).
 */
export function macsLatencyMs(macs: number, p: McuProfile): number {
  const cpm = Math.min(p.cycles.conv, p.cycles.depthwise, p.cycles.dense);
  return ((macs * cpm) / p.clockHz) * 1000;
}

/**
 * Cost figures a check needs: `latencyMs` as the planner gives it (or a lower bound of it); without it,
 * the MACs lower bound `macsLatencyMs` stands in.
 */
export type CheckedCost = Pick<CostEstimate, 'ramBytes' | 'flashBytes' | 'macs'> & {
  readonly latencyMs?: number;
};

function latencyOf(e: CheckedCost, c: Constraints): number {
  return e.latencyMs ?? macsLatencyMs(e.macs, c.profile);
}

/** Names of the violated constraints (empty: feasible). */
export function violations(e: CheckedCost, c: Constraints): string[] {
  const v: string[] = [];
  if (e.ramBytes > c.ramBytes) v.push('ram');
  if (e.flashBytes > c.flashBytes) v.push('flash');
  if (c.latencyMs !== undefined && latencyOf(e, c) > c.latencyMs) v.push('latency');
  if (e.macs > c.maxMacs) v.push('macs');
  return v;
}

/** Total relative excess over the limits (0 when feasible); NSGA-II ranks infeasible ones by it. */
export function constraintViolation(e: CheckedCost, c: Constraints): number {
  let s = Math.max(0, e.ramBytes / c.ramBytes - 1) + Math.max(0, e.flashBytes / c.flashBytes - 1);
  if (c.latencyMs !== undefined) s += Math.max(0, latencyOf(e, c) / c.latencyMs - 1);
  s += Math.max(0, e.macs / c.maxMacs - 1);
  return s;
}
