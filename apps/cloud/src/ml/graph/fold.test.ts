import { describe, expect, it } from 'vitest';
import { Plan } from '../engine/plan.js';
import { Rng } from '../tensor/rng.js';
import { GraphBuilder } from './builder.js';
import { foldBatchNorm } from './fold.js';
import type { Graph } from './types.js';

function run(graph: Graph, input: Float32Array, n: number): Float32Array {
  const plan = new Plan(graph, { batch: n, training: false });
  plan.act(plan.inputName).f32.set(input);
  plan.forward(n, false);
  return plan.act(plan.logits).f32.slice();
}

describe('foldBatchNorm', () => {
  it('removes BatchNorm nodes and keeps the inference outputs', () => {
    const b = new GraphBuilder('t', [6, 6, 2], 1);
    let x = b.relu(b.batchNorm(b.conv2d(b.input, 4, 3, { bias: false })));
    x = b.relu6(b.batchNorm(b.depthwise(x, 3)));
    x = b.batchNorm(b.dense(b.flatten(x), 5));
    const g = b.build([x]);
    const rng = new Rng(2);
    for (const [key, t] of Object.entries(g.params)) {
      if (/\.(gamma|beta|mean)$/.test(key))
        for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-1, 1);
      if (key.endsWith('.variance')) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(0.5, 2);
    }
    const folded = foldBatchNorm(g);
    expect(folded.nodes.some((n) => n.op === 'batchNorm')).toBe(false);
    expect(Object.keys(folded.params).some((k) => k.endsWith('.mean'))).toBe(false);
    const input = Float32Array.from({ length: 3 * 72 }, () => rng.uniform(-1, 1));
    const a = run(g, input, 3);
    const f = run(folded, input, 3);
    for (let i = 0; i < a.length; i++) expect(f[i]).toBeCloseTo(a[i]!, 4);
  });

  it('keeps a BatchNorm whose producer has other consumers', () => {
    const b = new GraphBuilder('t', [4, 4, 2], 1);
    const c = b.conv2d(b.input, 2, 3);
    const g = b.build([b.addN([c, b.batchNorm(c)])]);
    expect(foldBatchNorm(g).nodes.filter((n) => n.op === 'batchNorm')).toHaveLength(1);
  });
});
