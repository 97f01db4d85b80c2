import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { Rng } from '../tensor/rng.js';
import { Plan } from './plan.js';

/**
 * Checks every trainable parameter's analytic gradient (and so, through a leading parametrised
 * layer, every op's input gradient) against central finite differences of L = Σ out·R, with the
 * loss accumulated in float64.
 */
function gradCheck(graph: Graph, n: number, eps = 3e-3): number {
  const plan = new Plan(graph, { batch: n, training: true, seed: 7 });
  const rng = new Rng(11);
  const input = plan.act(plan.inputName).f32;
  for (let i = 0; i < input.length; i++) input[i] = rng.uniform(-1, 1);
  const out = plan.act(plan.logits).f32;
  const r = new Float64Array(out.length);
  for (let i = 0; i < r.length; i++) r[i] = rng.uniform(-1, 1);
  const loss = (): number => {
    plan.forward(n, true, 3);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i]! * r[i]!;
    return s;
  };
  loss();
  const dy = plan.grad(plan.logits)!.f32;
  for (let i = 0; i < dy.length; i++) dy[i] = r[i]!;
  plan.backward(n);
  const analytic = plan.grads.f32.slice();
  const p = plan.params.f32;
  let num = 0;
  let den = 0;
  for (let i = 0; i < p.length; i++) {
    const keep = p[i]!;
    p[i] = keep + eps;
    const lp = loss();
    p[i] = keep - eps;
    const lm = loss();
    p[i] = keep;
    const fd = (lp - lm) / (2 * eps);
    num += (fd - analytic[i]!) ** 2;
    den += fd * fd + analytic[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** A graph whose first layer (a 1x1 conv with parameters) exposes the gradient flowing into `body`. */
function net(shape: number[], body: (b: GraphBuilder, x: string) => string): Graph {
  const b = new GraphBuilder('t', shape, 3);
  const pre =
    shape.length === 3
      ? b.conv2d(b.input, shape[2]!, 1)
      : shape.length === 2
        ? b.conv1d(b.input, shape[1]!, 1)
        : b.input;
  return b.build([body(b, pre)]);
}

const cases: Array<[string, number[], (b: GraphBuilder, x: string) => string]> = [
  ['conv2d same', [5, 5, 2], (b, x) => b.conv2d(x, 3, 3)],
  ['conv2d valid stride 2', [7, 6, 2], (b, x) => b.conv2d(x, 3, 3, { padding: 'valid', strides: 2 })],
  ['conv2d same stride 2 (asymmetric pad)', [6, 6, 2], (b, x) => b.conv2d(x, 2, 3, { strides: 2 })],
  ['conv2d dilation 2', [7, 7, 2], (b, x) => b.conv2d(x, 3, 3, { dilation: 2 })],
  ['conv2d 1x5 kernel, no bias', [4, 6, 2], (b, x) => b.conv2d(x, 3, [1, 5], { bias: false })],
  ['conv2d 1x1', [3, 3, 3], (b, x) => b.conv2d(x, 5, 1)],
  ['depthwise same', [5, 5, 3], (b, x) => b.depthwise(x, 3)],
  ['depthwise stride 2 valid', [7, 7, 3], (b, x) => b.depthwise(x, 3, { strides: 2, padding: 'valid' })],
  // 6 channels: the SIMD groups of 4 and the scalar tail of the wasm channel kernels
  [
    'depthwise 6 channels, dilation 2, no bias',
    [6, 5, 6],
    (b, x) => b.depthwise(x, 3, { dilation: 2, bias: false }),
  ],
  ['depthwise 6 channels stride 2', [7, 4, 6], (b, x) => b.depthwise(x, 3, { strides: 2 })],
  ['conv1d', [9, 3], (b, x) => b.conv1d(x, 4, 3)],
  [
    'conv1d stride 2 dilation 2 valid',
    [11, 2],
    (b, x) => b.conv1d(x, 3, 3, { strides: 2, dilation: 2, padding: 'valid' }),
  ],
  ['dense', [2, 2, 3], (b, x) => b.dense(b.flatten(x), 4)],
  ['batchNorm', [3, 3, 4], (b, x) => b.batchNorm(x)],
  ['batchNorm on features', [6], (b, x) => b.batchNorm(b.dense(x, 5))],
  ['batchNorm 6 channels', [3, 2, 6], (b, x) => b.batchNorm(x)],
  ['relu', [4, 4, 2], (b, x) => b.relu(x)],
  ['relu6', [4, 4, 2], (b, x) => b.relu6(b.conv2d(x, 3, 3))],
  ['maxPool 2', [4, 4, 2], (b, x) => b.pool('maxPool', x, 2)],
  ['maxPool 3 stride 2 same', [5, 5, 2], (b, x) => b.pool('maxPool', x, 3, { strides: 2, padding: 'same' })],
  ['avgPool 2', [4, 4, 2], (b, x) => b.pool('avgPool', x, 2)],
  ['avgPool 3 stride 2 same', [5, 5, 2], (b, x) => b.pool('avgPool', x, 3, { strides: 2, padding: 'same' })],
  [
    'avgPool 3 stride 2 same, 6 channels',
    [5, 4, 6],
    (b, x) => b.pool('avgPool', x, 3, { strides: 2, padding: 'same' }),
  ],
  ['maxPool 1-D', [8, 2], (b, x) => b.pool('maxPool', x, 2)],
  ['globalAvgPool', [3, 3, 3], (b, x) => b.globalAvgPool(x)],
  ['add (residual, shared input)', [4, 4, 2], (b, x) => b.addN([x, b.conv2d(x, 2, 3)])],
  ['concat', [4, 4, 2], (b, x) => b.concat([b.conv2d(x, 3, 3), x])],
  ['reshape', [4, 4, 2], (b, x) => b.conv2d(b.reshape(x, [2, 8, 2]), 2, 3)],
  ['dropout', [4, 4, 2], (b, x) => b.dropout(x, 0.5)],
  ['softmax', [4], (b, x) => b.dense(b.softmax(b.dense(x, 5)), 3)],
];

describe('gradients match finite differences', () => {
  for (const [name, shape, body] of cases) {
    it(name, () => {
      expect(gradCheck(net(shape, body), 2)).toBeLessThan(1e-3);
    });
  }
});
