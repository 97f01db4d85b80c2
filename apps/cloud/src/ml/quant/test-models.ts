/** Small float models and synthetic data shared by the quantization tests. */
import type { DataSplit } from '../data/types.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { Rng } from '../tensor/rng.js';

/** A graph with every op of the set: conv (same, stride 2), BN, relu6, depthwise, avgpool, add, concat, gap, dense, softmax. */
export function allOpsModel(seed = 1): Graph {
  const b = new GraphBuilder('all-ops', [8, 8, 3], seed);
  let x = b.conv2d(b.input, 8, 3, { padding: 'same', strides: 2 }, 'c1');
  x = b.batchNorm(x, 'bn1');
  x = b.add({ op: 'relu6', name: 'r6', inputs: [x], attrs: {}, params: {} });
  const d = b.depthwise(x, 3, { padding: 'same' }, 'dw');
  const dr = b.relu(d, 'dr');
  const s = b.addN([x, dr], 'res');
  const p = b.pool('avgPool', s, 3, { strides: 1, padding: 'same' }, 'ap');
  const m = b.pool('maxPool', s, 2, { strides: 1, padding: 'same' }, 'mp');
  const c = b.concat([p, m], 'cat');
  const g = b.globalAvgPool(c, 'gap');
  const f = b.dense(g, 5, 'fc');
  return b.build([b.softmax(f, 'sm')]);
}

/** A 1-D model: conv1d, relu, maxPool, flatten, dense. */
export function seriesModel(seed = 2): Graph {
  const b = new GraphBuilder('series', [16, 2], seed);
  let x = b.conv1d(b.input, 4, 3, { padding: 'same' }, 'c1');
  x = b.relu(x, 'r1');
  x = b.flatten(x, 'fl');
  return b.build([b.dense(x, 3, 'fc')]);
}

/** Random inputs in [0, 1) with labels from a fixed random linear rule. */
export function syntheticSplit(shape: readonly number[], n: number, classes: number, seed = 5): DataSplit {
  const size = shape.reduce((p, d) => p * d, 1);
  const rng = new Rng(seed);
  const xs = Array.from({ length: n }, () => Float32Array.from({ length: size }, () => rng.next()));
  return { size: n, get: (i) => ({ x: xs[i]!.slice(), y: i % classes }) };
}
