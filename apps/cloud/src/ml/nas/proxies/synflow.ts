/**
 * SynFlow (RESEARCH.md §4): parameters replaced by |theta|, BN removed, one all-ones input;
 * R = sum of the outputs; score = sum over conv / dense weights of |theta * dR/dtheta|. Data-free.
 * Computed in float32 (the engine's precision; the reference implementation uses float64): scores of
 * the small models in this search space stay far from float32 overflow; an overflow gives Infinity.
 */
import { Plan } from '../../engine/plan.js';
import type { Graph } from '../../graph/types.js';
import { withoutBatchNorm } from './rewrite.js';

export function synflow(graph: Graph): number {
  const plan = new Plan(withoutBatchNorm(graph), { batch: 1, training: true });
  const p = plan.params.f32;
  for (let i = 0; i < p.length; i++) p[i] = Math.abs(p[i]!);
  plan.act(plan.inputName).f32.fill(1);
  plan.forward(1, true);
  plan.grad(plan.logits)!.f32.fill(1);
  plan.backward(1);
  const g = plan.grads.f32;
  let s = 0;
  for (const slot of plan.slots) {
    if (!slot.trainable || !slot.decay) continue;
    for (let i = slot.offset; i < slot.offset + slot.length; i++) s += Math.abs(p[i]! * g[i]!);
  }
  return s;
}
