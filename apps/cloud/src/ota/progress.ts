/**
 * Pure evaluation of a campaign's executions: per-phase counts, the phase success threshold and the
 * abort criteria (AWS IoT Jobs style: a failure count or percent, after a minimum number executed).
 */
import type { AbortSpec, Execution, PhaseSpec } from '../store/index.js';
import { FAILURE_STATES, isTerminal } from './states.js';

export interface PhaseCounts {
  size: number;
  succeeded: number;
  failures: number;
  terminal: number;
}

export interface CampaignCounts {
  /** Finished executions that count: succeeded + failures (canceled ones do not). */
  executed: number;
  failures: number;
  succeeded: number;
  /** Queued or in flight. */
  open: number;
  phases: Map<number, PhaseCounts>;
}

export function countExecutions(execs: readonly Execution[]): CampaignCounts {
  const c: CampaignCounts = { executed: 0, failures: 0, succeeded: 0, open: 0, phases: new Map() };
  for (const e of execs) {
    const p = c.phases.get(e.phase) ?? { size: 0, succeeded: 0, failures: 0, terminal: 0 };
    p.size++;
    if (e.state === 'succeeded') {
      p.succeeded++;
      c.succeeded++;
    }
    if (FAILURE_STATES.has(e.state)) {
      p.failures++;
      c.failures++;
    }
    if (isTerminal(e.state)) p.terminal++;
    else c.open++;
    c.phases.set(e.phase, p);
  }
  c.executed = c.succeeded + c.failures;
  return c;
}

/** Succeeded executions a phase needs: ceil(size x successPercent / 100). */
export function phaseTarget(spec: PhaseSpec, size: number): number {
  return Math.ceil((size * spec.successPercent) / 100);
}

export function phaseMet(spec: PhaseSpec, p: PhaseCounts | undefined): boolean {
  const counts = p ?? { size: 0, succeeded: 0, failures: 0, terminal: 0 };
  return counts.succeeded >= phaseTarget(spec, counts.size);
}

/** Why the campaign must abort, or undefined. */
export function abortReason(spec: AbortSpec | null, c: CampaignCounts): string | undefined {
  if (!spec || c.executed < spec.minExecuted || c.executed === 0) return undefined;
  if (spec.failureCount !== undefined && c.failures >= spec.failureCount) {
    return `${c.failures} failures of ${c.executed} executed (limit ${spec.failureCount})`;
  }
  const pct = (100 * c.failures) / c.executed;
  if (spec.failurePercent !== undefined && pct >= spec.failurePercent) {
    return `${pct.toFixed(1)}% failures of ${c.executed} executed (limit ${spec.failurePercent}%)`;
  }
  return undefined;
}
