/** Small models and a learnable synthetic task shared by the FQT tests. */
import type { DataSplit, RawDataSplit } from '../data/types.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { postTrainingQuantize } from '../quant/ptq.js';
import type { QGraph } from '../quant/types.js';
import { Rng } from '../tensor/rng.js';

export const INPUT_Q = { scale: 1 / 255, zeroPoint: 0 } as const;

/** 8x8x1 images; class c = the quadrant holding a bright 3x3 blob, on noise. */
export function quadrantSplit(n: number, seed: number): RawDataSplit {
  const rng = new Rng(seed);
  const raws: Uint8Array[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rng.int(4);
    const raw = Uint8Array.from({ length: 64 }, () => rng.int(60));
    const oy = (y >> 1) * 4 + rng.int(2);
    const ox = (y & 1) * 4 + rng.int(2);
    for (let dy = 0; dy < 3; dy++)
      for (let dx = 0; dx < 3; dx++) raw[(oy + dy) * 8 + ox + dx] = 200 + rng.int(56);
    raws.push(raw);
    ys.push(y);
  }
  return {
    size: n,
    get: (i) => ({ x: Float32Array.from(raws[i]!, (v) => v / 255), y: ys[i]! }),
    getRaw: (i) => raws[i]!.slice(),
  };
}

/** conv 3x3 (4) + relu + maxpool 2 + flatten + dense 4, random weights. */
export function tinyCnn(seed = 3): Graph {
  const b = new GraphBuilder('tiny', [8, 8, 1], seed);
  let x = b.conv2d(b.input, 4, 3, { padding: 'valid' }, 'c1');
  x = b.relu(x, 'r1');
  x = b.pool('maxPool', x, 2, {}, 'p1');
  x = b.conv2d(x, 6, 2, { padding: 'valid' }, 'c2');
  x = b.relu(x, 'r2');
  x = b.flatten(x, 'fl');
  return b.build([b.dense(x, 4, 'fc')]);
}

export function quantized(graph: Graph, split: DataSplit): QGraph {
  return postTrainingQuantize(graph, split, { samples: 200, inputQ: INPUT_Q });
}
