/** Small graphs and helpers shared by the pruning tests. */
import { Plan } from '../engine/plan.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph, Tensor } from '../graph/types.js';
import { Rng } from '../tensor/rng.js';

/** conv -> relu -> conv -> relu -> gap -> dense. */
export function convConv(seed = 1): Graph {
  const b = new GraphBuilder('conv-conv', [6, 6, 2], seed);
  let x = b.relu(b.conv2d(b.input, 5, 3, {}, 'c1'), 'r1');
  x = b.relu(b.conv2d(x, 6, 3, {}, 'c2'), 'r2');
  return b.build([b.dense(b.globalAvgPool(x, 'gap'), 3, 'fc')]);
}

/** conv (valid) -> relu -> maxPool -> flatten -> dense (rows in NHWC order). */
export function convFlattenDense(seed = 2): Graph {
  const b = new GraphBuilder('conv-flat', [7, 7, 1], seed);
  let x = b.relu(b.conv2d(b.input, 4, 3, { padding: 'valid' }, 'c1'), 'r1');
  x = b.pool('maxPool', x, 2, {}, 'p1');
  return b.build([b.dense(b.flatten(x, 'flat'), 3, 'fc')]);
}

/** conv -> BN -> relu -> depthwise -> BN -> relu -> pointwise -> gap -> dense. */
export function convBnDepthwise(seed = 3): Graph {
  const b = new GraphBuilder('conv-dw', [6, 6, 2], seed);
  let x = b.relu(b.batchNorm(b.conv2d(b.input, 6, 1, { bias: false }, 'expand'), 'bn1'), 'r1');
  x = b.relu(b.batchNorm(b.depthwise(x, 3, {}, 'dw'), 'bn2'), 'r2');
  x = b.conv2d(x, 4, 1, {}, 'pw');
  return b.build([b.dense(b.globalAvgPool(x, 'gap'), 3, 'fc')]);
}

/** a = conv(x); y = conv(relu(a)); add(a, y) -> relu -> conv -> gap -> dense: a and y form one group. */
export function residual(seed = 4): Graph {
  const b = new GraphBuilder('residual', [5, 5, 2], seed);
  const a = b.conv2d(b.input, 4, 3, {}, 'a');
  const y = b.conv2d(b.relu(a, 'ra'), 4, 3, {}, 'b');
  let x = b.relu(b.addN([a, y], 'add'), 'rsum');
  x = b.conv2d(x, 3, 1, {}, 'c');
  return b.build([b.dense(b.globalAvgPool(x, 'gap'), 2, 'fc')]);
}

/** Replace parameter `key` by `f(old data)`. */
export function editParam(graph: Graph, key: string, f: (d: Float32Array) => void): Graph {
  const t = graph.params[key]!;
  const data = t.data.slice();
  f(data);
  const params: Record<string, Tensor> = { ...graph.params, [key]: { shape: t.shape, data } };
  return { ...graph, params };
}

/** Zero output channel `c` of a weight whose last axis has `channels` entries. */
export function zeroChannel(channels: number, c: number): (d: Float32Array) => void {
  return (d) => {
    for (let i = c; i < d.length; i += channels) d[i] = 0;
  };
}

/** Set element `i` to `v`. */
export function setAt(i: number, v: number): (d: Float32Array) => void {
  return (d) => {
    d[i] = v;
  };
}

/** Outputs of `graph` on `n` seeded random inputs. */
export function run(graph: Graph, n = 3, seed = 9): Float32Array {
  const plan = new Plan(graph, { batch: n, training: false });
  const rng = new Rng(seed);
  const x = plan.act(plan.inputName).f32;
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
  plan.forward(n, false);
  const out = plan.act(graph.outputs[0]!).f32;
  return out.slice(0, out.length);
}

/** Random biases and BatchNorm statistics, so that every channel matters to the output. */
export function randomize(graph: Graph, seed = 11): Graph {
  const rng = new Rng(seed);
  const params: Record<string, Tensor> = { ...graph.params };
  for (const n of graph.nodes) {
    const bias = n.params.bias;
    if (bias !== undefined) {
      const t = graph.params[bias]!;
      params[bias] = { shape: t.shape, data: t.data.map(() => rng.uniform(-0.3, 0.3)) };
    }
    if (n.op !== 'batchNorm') continue;
    for (const role of ['gamma', 'beta', 'mean', 'variance'] as const) {
      const t = graph.params[n.params[role]]!;
      const lo = role === 'variance' || role === 'gamma' ? 0.5 : -0.5;
      params[n.params[role]] = { shape: t.shape, data: t.data.map(() => rng.uniform(lo, lo + 1)) };
    }
  }
  return { ...graph, params };
}
