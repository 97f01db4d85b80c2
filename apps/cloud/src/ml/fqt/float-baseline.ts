/**
 * The float32 baseline of the FQT experiment: fine-tune the same layers of the float model with plain
 * SGD, batch 1 (streaming), every other parameter frozen (its gradient is computed by the engine and
 * discarded).
 */
import type { DataSplit } from '../data/types.js';
import { Plan } from '../engine/plan.js';
import type { Graph } from '../graph/types.js';
import { softmaxCrossEntropy } from '../train/loss.js';
import { FqtError } from './errors.js';

export interface FloatFineTune {
  readonly graph: Graph;
  readonly meanLoss: number;
}

/** SGD on the parameters of the nodes named `layers` over `samples` in order, batch 1; `lr` of sample i. */
export function floatFineTune(
  graph: Graph,
  layers: readonly string[],
  samples: DataSplit,
  lr: number | ((i: number) => number),
): FloatFineTune {
  const lrOf = typeof lr === 'number' ? () => lr : lr;
  const plan = new Plan(graph, { batch: 1, training: true });
  const keys = new Set<string>();
  for (const name of layers) {
    const n = graph.nodes.find((x) => x.name === name);
    if (!n) throw new FqtError('BAD_CONFIG', `no node "${name}" in the float model`);
    for (const k of Object.values(n.params)) if (k) keys.add(k);
  }
  const slots = plan.slots.filter((s) => s.trainable && keys.has(s.key));
  const k = plan.shapes.get(plan.logits)!.reduce((a, b) => a * b, 1);
  const labels = new Int32Array(1);
  let lossSum = 0;
  for (let i = 0; i < samples.size; i++) {
    const s = samples.get(i);
    plan.act(plan.inputName).f32.set(s.x);
    labels[0] = s.y;
    plan.forward(1, true, i);
    const d = plan.grad(plan.logits)!.f32;
    lossSum += softmaxCrossEntropy(plan.act(plan.logits).f32, labels, 1, k, d).loss;
    plan.backward(1);
    const p = plan.params.f32;
    const g = plan.grads.f32;
    const rate = lrOf(i);
    for (const slot of slots)
      for (let j = slot.offset; j < slot.offset + slot.length; j++) p[j] = p[j]! - rate * g[j]!;
  }
  return { graph: plan.toGraph(), meanLoss: samples.size > 0 ? lossSum / samples.size : 0 };
}
