/**
 * MACs, cycles, latency and energy from the profile table (profiles.ts). A weighted op costs its MACs
 * times the cycles per MAC of its kind; a pool, the elements its windows visit; an element-wise op,
 * its output elements (SOFTMAX: `SOFTMAX_ELEMENT_COST` each); every op adds a fixed overhead.
 *
 * Backward (training.ts): a trainable op computes its weight gradient (as many MACs as its forward)
 * and, if it propagates, the input error (as many again); with dynamic partial updates only the top
 * k = max(1, floor(rate * N)) of its N structures take part in both (RESEARCH.md §1), so both scale by
 * k / N. A frozen op on the path only propagates, in full. The update standardizes, updates and
 * requantizes the k structures: `UPDATE_PASSES` element passes. Backward cycles per unit are the
 * forward ones times the profile's `backwardFactor`.
 */
import { elements, type PlanGraph, type PlanOp, WEIGHTED_KINDS } from './graph.js';
import type { CostKind, McuProfile } from './profiles.js';
import { structureSize, type TrainingPlan } from './training.js';

export const SOFTMAX_ELEMENT_COST = 8;
export const UPDATE_PASSES = 3;

export interface OpWork {
  readonly kind: CostKind;
  /** MACs of a weighted op, else 0. */
  readonly macs: number;
  /** What the cycles per unit multiply: MACs, or elements visited. */
  readonly units: number;
}

export function opWork(g: PlanGraph, op: PlanOp): OpWork {
  const out = elements(g.tensors[op.output]!.shape);
  const x = elements(g.tensors[op.inputs[0]!]!.shape);
  if (WEIGHTED_KINDS.has(op.kind)) {
    const w = g.tensors[op.weight!]!.shape;
    const perOut = op.kind === 'DEPTHWISE_CONV2D' ? elements(w) / w[w.length - 1]! : elements(w) / w[0]!;
    const macs = out * perOut;
    const kind = op.kind === 'DENSE' ? 'dense' : op.kind === 'DEPTHWISE_CONV2D' ? 'depthwise' : 'conv';
    return { kind, macs, units: macs };
  }
  switch (op.kind) {
    case 'MAXPOOL2D':
    case 'AVGPOOL2D':
      return { kind: 'pool', macs: 0, units: out * op.window };
    case 'GLOBAL_AVGPOOL':
      return { kind: 'pool', macs: 0, units: x };
    case 'RESHAPE':
      return { kind: 'elementwise', macs: 0, units: 0 };
    case 'SOFTMAX':
      return { kind: 'elementwise', macs: 0, units: out * SOFTMAX_ELEMENT_COST };
    default:
      return { kind: 'elementwise', macs: 0, units: out };
  }
}

export interface Cost {
  readonly macs: number;
  readonly cycles: number;
}

export function forwardCost(g: PlanGraph, p: McuProfile): Cost {
  let macs = 0;
  let cycles = 0;
  for (const op of g.ops) {
    const w = opWork(g, op);
    macs += w.macs;
    cycles += w.units * p.cycles[w.kind] + p.opOverheadCycles;
  }
  return { macs, cycles };
}

/** Backward pass + update of one sample at update rate `rate` in (0, 1]. */
export function backwardCost(g: PlanGraph, t: TrainingPlan, p: McuProfile, rate = 1): Cost {
  const trainable = new Set(t.trainableOps);
  const f = p.backwardFactor;
  let macs = 0;
  let cycles = p.opOverheadCycles;
  // the fused softmax + cross-entropy loss over the logits
  const logits = t.extras.find((e) => e.kind === 'ERROR' && e.first === g.ops.length);
  if (logits) cycles += elements(g.tensors[logits.ref]!.shape) * SOFTMAX_ELEMENT_COST * p.cycles.elementwise;
  for (const i of t.backwardOps) {
    const op = g.ops[i]!;
    const w = opWork(g, op);
    cycles += p.opOverheadCycles;
    if (!WEIGHTED_KINDS.has(op.kind)) {
      cycles += w.units * p.cycles[w.kind] * f;
      continue;
    }
    let share = 1;
    let passes = 0;
    if (trainable.has(i)) {
      const { structures, size } = structureSize(g, i);
      const k = Math.max(1, Math.floor(rate * structures));
      share = k / structures;
      passes += 1;
      cycles += k * size * UPDATE_PASSES * p.cycles.elementwise;
    }
    if (t.propagates.has(i)) passes += 1;
    macs += w.macs * share * passes;
    cycles += w.macs * share * passes * p.cycles[w.kind] * f;
  }
  return { macs, cycles };
}

export function millis(cycles: number, p: McuProfile): number {
  return (cycles / p.clockHz) * 1000;
}

/** mW x ms = µJ; / 1000 = mJ. */
export function energyMj(ms: number, p: McuProfile): number {
  return (p.activeMw * ms) / 1000;
}
