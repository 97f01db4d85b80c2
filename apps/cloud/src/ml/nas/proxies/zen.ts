/**
 * Zen-score (RESEARCH.md §4) on a training plan whose batchNorm momentum is 1 (so the running
 * variance is the batch variance): weights redrawn from N(0, 1), input x ~ N(0, 1),
 * Delta = mean over the batch of sum |f(x) - f(x + gamma * eps)| over the pre-pooling features f;
 * score = log Delta + sum over BN layers of log sqrt(mean running variance). gamma = 1e-2.
 * Overwrites the plan's parameters and input (run it last).
 */
import type { Plan } from '../../engine/plan.js';
import { shapeSize } from '../../graph/types.js';
import { Rng } from '../../tensor/rng.js';

export const ZEN_GAMMA = 1e-2;

/** The value the head pools / flattens (the logits if there is no such node). */
export function preHeadValue(plan: Plan): string {
  for (let i = plan.graph.nodes.length - 1; i >= 0; i--) {
    const n = plan.graph.nodes[i]!;
    if (n.op === 'globalAvgPool' || n.op === 'flatten') return n.inputs[0]!;
  }
  return plan.logits;
}

export function zen(plan: Plan, n: number, seed: number): number {
  const rng = new Rng(seed);
  const p = plan.params.f32;
  for (const s of plan.slots)
    if (s.trainable && s.decay) for (let i = s.offset; i < s.offset + s.length; i++) p[i] = rng.normal();
  const size = shapeSize(plan.graph.inputs[0]!.shape);
  const x = plan.act(plan.inputName).f32;
  const x0 = new Float32Array(n * size);
  for (let i = 0; i < x0.length; i++) x0[i] = rng.normal();
  const feature = preHeadValue(plan);
  const fsize = shapeSize(plan.shapes.get(feature)!);
  x.set(x0);
  plan.forward(n, true);
  const f0 = plan.act(feature).f32.slice(0, n * fsize);
  for (let i = 0; i < x0.length; i++) x[i] = x0[i]! + ZEN_GAMMA * rng.normal();
  plan.forward(n, true);
  const f1 = plan.act(feature).f32;
  let delta = 0;
  for (let i = 0; i < n * fsize; i++) delta += Math.abs(f0[i]! - f1[i]!);
  delta /= n;
  let bnTerm = 0;
  for (const node of plan.graph.nodes) {
    if (node.op !== 'batchNorm') continue;
    const slot = plan.slot(node.params.variance);
    const v = plan.buffers.f32;
    let m = 0;
    for (let i = slot.offset; i < slot.offset + slot.length; i++) m += v[i]!;
    bnTerm += 0.5 * Math.log(m / slot.length);
  }
  return Math.log(delta) + bnTerm;
}
