/**
 * Small quantized models for the firmware bit-exact tests: float graphs built with the cloud's
 * GraphBuilder, quantized by PTQ on synthetic calibration data, written as artifacts. Together
 * they cover every op kind of PROTOCOL.md §5.4 (conv1d, conv2d with stride/dilation/padding,
 * depthwise, dense, fused and unfused relu/relu6, max/avg/global pools, add, concat, reshape,
 * softmax), with uint8 per-tensor and int8 per-channel weights.
 */
import type { DataSplit } from '@tinyfleet/cloud/data';
import type { Graph } from '@tinyfleet/cloud/ml';
import { GraphBuilder, Rng } from '@tinyfleet/cloud/ml';
import { postTrainingQuantize, type QGraph, size } from '@tinyfleet/cloud/quant';

/** Random inputs in [0, 1) (labels unused by calibration). */
export function calibrationSplit(shape: readonly number[], n: number, seed = 5): DataSplit {
  const len = shape.reduce((p, d) => p * d, 1);
  const rng = new Rng(seed);
  const xs = Array.from({ length: n }, () => Float32Array.from({ length: len }, () => rng.next()));
  return { size: n, get: (i) => ({ x: xs[i]!.slice(), y: 0 }) };
}

/** conv (same, stride 2) + BN + fused relu6, depthwise + fused relu, add, avg/max pool, concat, gap, dense, softmax. */
function allOps(seed: number): Graph {
  const b = new GraphBuilder('fw-all-ops', [8, 8, 3], seed);
  let x = b.conv2d(b.input, 8, 3, { padding: 'same', strides: 2 }, 'c1');
  x = b.batchNorm(x, 'bn1');
  x = b.relu6(x, 'r6');
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

/** conv1d + fused relu, flatten (RESHAPE), dense. */
function series(seed: number): Graph {
  const b = new GraphBuilder('fw-series', [16, 2], seed);
  let x = b.conv1d(b.input, 4, 3, { padding: 'same', dilation: 2 }, 'c1');
  x = b.relu(x, 'r1');
  x = b.flatten(x, 'fl');
  return b.build([b.dense(x, 3, 'fc')]);
}

/** Unfused RELU (after ADD) and RELU6 (after a pool), dilated valid conv, stride-2 pools, explicit reshape. */
function unfused(seed: number): Graph {
  const b = new GraphBuilder('fw-unfused', [12, 10, 2], seed);
  const a = b.conv2d(b.input, 6, 3, { padding: 'same', dilation: 2 }, 'ca');
  const c = b.conv2d(b.input, 6, 1, { padding: 'valid' }, 'cb');
  let x = b.relu(b.addN([a, c], 'sum'), 'rs');
  x = b.pool('maxPool', x, 2, { strides: 2, padding: 'valid' }, 'mp');
  x = b.relu6(b.pool('avgPool', x, 3, { strides: 2, padding: 'same' }, 'ap'), 'r6');
  x = b.conv2d(x, 4, 2, { padding: 'valid', strides: 1 }, 'cc');
  x = b.reshape(x, [2 * 2 * 4], 'rsh');
  x = b.dense(x, 6, 'fc');
  return b.build([b.softmax(x, 'sm')]);
}

export interface FirmwareModel {
  readonly label: string;
  readonly q: QGraph;
  readonly inputSize: number;
}

/** Every (model, weight mode) pair of the bit-exact tests. */
export function firmwareModels(): FirmwareModel[] {
  const out: FirmwareModel[] = [];
  const graphs: [string, Graph][] = [
    ['all-ops', allOps(1)],
    ['series', series(2)],
    ['unfused', unfused(3)],
  ];
  for (const [label, g] of graphs) {
    for (const perChannel of [false, true]) {
      const shape = g.inputs[0]!.shape;
      const q = postTrainingQuantize(g, calibrationSplit(shape, 32), { perChannel, samples: 32 });
      out.push({
        label: `${label} (${perChannel ? 'int8 per-channel' : 'uint8 per-tensor'})`,
        q,
        inputSize: size(q.values.get(q.input)!.shape),
      });
    }
  }
  return out;
}

/** Deterministic uint8 inputs: all zeros, all 255, then uniform random bytes. */
export function randomInputs(len: number, count: number, seed: number): Uint8Array[] {
  const rng = new Rng(seed);
  const xs = [new Uint8Array(len), new Uint8Array(len).fill(255)];
  while (xs.length < count) xs.push(Uint8Array.from({ length: len }, () => Math.floor(rng.next() * 256)));
  return xs;
}

/** Index of the first differing element, or -1. */
export function firstMismatch<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A multi-block model for the OTA tests (~32 KB of weights, 8 blocks of P.OTA_BLOCK_BYTES): an MLP. */
export function otaModel(seed: number, perChannel = false): FirmwareModel {
  const b = new GraphBuilder(`fw-ota-${seed}`, [64], seed);
  let x = b.relu(b.dense(b.input, 192, 'fc1'), 'r1');
  x = b.relu(b.dense(x, 96, 'fc2'), 'r2');
  const g = b.build([b.softmax(b.dense(x, 10, 'fc3'), 'sm')]);
  const q = postTrainingQuantize(g, calibrationSplit([64], 32, seed), { perChannel, samples: 32 });
  return { label: `ota-mlp-${seed}`, q, inputSize: 64 };
}
