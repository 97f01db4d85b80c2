/**
 * A small complete model for tests and the golden vector (PROTOCOL.md §7): 8x8x1 uint8 input ->
 * conv 3x3 (4 filters, int8 per-channel weights, int32 per-channel bias, same padding) -> relu ->
 * maxpool 2 -> reshape -> dense 64->3 (uint8 per-tensor, trainable, RAM_COPY) -> softmax, with a
 * training plan for the dense layer. The numbers are plausible, not a trained network.
 */
import { P } from '../constants/index.js';
import type { ArtifactModel, ArtifactTensor } from './types.js';

const f = Math.fround;

/** Deterministic bytes from a 32-bit xorshift generator. */
function pseudoBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function int32Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    view.setInt32(4 * i, v, true);
  });
  return out;
}

function perTensor(scale: number, zeroPoint: number) {
  return { kind: 'PER_TENSOR', scale: f(scale), zeroPoint } as const;
}

export function exampleArtifactModel(): ArtifactModel {
  const sIn = f(1 / 255);
  const sConvW = [0.02, 0.015, 0.025, 0.01].map(f);
  const act = perTensor(0.05, 128); // conv output, relu, pool, flatten share one range
  const sDenseW = f(0.01);
  const arena = (offset: number) => ({ storage: 'ARENA', arenaOffset: offset }) as const;
  const tensors: ArtifactTensor[] = [
    /* 0 */ { dtype: 'UINT8', ...arena(0), flags: ['INPUT'], shape: [1, 8, 8, 1], quant: perTensor(sIn, 0) },
    /* 1 */ {
      dtype: 'INT8',
      storage: 'FLASH',
      flags: [],
      shape: [4, 3, 3, 1],
      quant: { kind: 'PER_CHANNEL', axis: 0, scales: sConvW, zeroPoints: [0, 0, 0, 0] },
      data: pseudoBytes(36, 1),
    },
    /* 2 */ {
      dtype: 'INT32',
      storage: 'FLASH',
      flags: [],
      shape: [4],
      quant: {
        kind: 'PER_CHANNEL',
        axis: 0,
        scales: sConvW.map((s) => f(sIn * s)),
        zeroPoints: [0, 0, 0, 0],
      },
      data: int32Bytes([120, -40, 0, 75]),
    },
    /* 3 */ { dtype: 'UINT8', ...arena(64), flags: [], shape: [1, 8, 8, 4], quant: act },
    /* 4 */ { dtype: 'UINT8', ...arena(320), flags: [], shape: [1, 8, 8, 4], quant: act },
    /* 5 */ { dtype: 'UINT8', ...arena(0), flags: [], shape: [1, 4, 4, 4], quant: act },
    /* 6 */ { dtype: 'UINT8', ...arena(0), flags: [], shape: [1, 64], quant: act },
    /* 7 */ {
      dtype: 'UINT8',
      storage: 'RAM_COPY',
      flags: ['TRAINABLE'],
      shape: [3, 64],
      quant: perTensor(sDenseW, 128),
      data: pseudoBytes(192, 7),
    },
    /* 8 */ {
      dtype: 'INT32',
      storage: 'RAM_COPY',
      flags: ['TRAINABLE'],
      shape: [3],
      quant: perTensor(act.scale * sDenseW, 0),
      data: int32Bytes([-300, 25, 410]),
    },
    /* 9 */ { dtype: 'UINT8', ...arena(64), flags: [], shape: [1, 3], quant: perTensor(0.1, 128) },
    /* 10 */ { dtype: 'UINT8', ...arena(80), flags: ['OUTPUT'], shape: [1, 3], quant: perTensor(1 / 256, 0) },
    // Training extras (PROTOCOL.md §5.6): the dense input kept for backward, the error at the logits.
    /* 11 */ { dtype: 'UINT8', ...arena(576), flags: ['SAVED'], shape: [1, 64], quant: act, ref: 6 },
    /* 12 */ {
      dtype: 'UINT8',
      ...arena(640),
      flags: ['ERROR'],
      shape: [1, 3],
      quant: perTensor(2 / 255, 128),
      ref: 9,
    },
  ];
  const same = { top: 1, left: 1, bottom: 1, right: 1 };
  const none = { top: 0, left: 0, bottom: 0, right: 0 };
  return {
    name: 'tinyfleet-small-cnn',
    modelVersion: 3,
    abiVersion: P.ARTIFACT_ABI_VERSION,
    input: 0,
    output: 10,
    arenaInferBytes: 576,
    arenaTrainBytes: 656,
    ops: [
      {
        kind: 'CONV2D',
        inputs: [0, 1, 2],
        output: 3,
        strideH: 1,
        strideW: 1,
        dilationH: 1,
        dilationW: 1,
        padding: same,
        actMin: 0,
        actMax: 255,
      },
      { kind: 'RELU', inputs: [3], output: 4 },
      {
        kind: 'MAXPOOL2D',
        inputs: [4],
        output: 5,
        strideH: 2,
        strideW: 2,
        windowH: 2,
        windowW: 2,
        padding: none,
        actMin: 0,
        actMax: 255,
      },
      { kind: 'RESHAPE', inputs: [5], output: 6 },
      { kind: 'DENSE', inputs: [6, 7, 8], output: 9, actMin: 0, actMax: 255 },
      { kind: 'SOFTMAX', inputs: [9], output: 10 },
    ],
    tensors,
    training: {
      trainableOps: [4],
      lambdaMin: f(0.1),
      lambdaMax: f(1),
      learningRate: f(0.01),
      batchSize: 8,
      epsMode: 'LOSS_RATIO',
      emaActivations: f(0.05),
      emaErrors: f(0.05),
      emaWeights: f(0.01),
      update: 'SGD',
      rounding: 'STOCHASTIC',
    },
  };
}
