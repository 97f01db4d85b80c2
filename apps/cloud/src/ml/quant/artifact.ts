/**
 * QGraph -> model artifact (PROTOCOL.md §5): tensor table (activations ARENA with the arena plan,
 * weights and bias FLASH), op records with explicit padding and fused clamps, `writeArtifact`.
 */

import {
  type ArtifactModel,
  type ArtifactOp,
  type ArtifactQuant,
  type ArtifactTensor,
  writeArtifact,
} from '@tinyfleet/protocol/artifact';
import { P } from '@tinyfleet/protocol/constants';
import { type TrainingOptions, withPlan } from '../plan/artifact.js';
import { planArena } from './arena.js';
import { QuantError } from './errors.js';
import type { QBias, QGraph, QWeights } from './types.js';

export interface ArtifactOptions {
  readonly modelVersion?: number;
  /** At most 31 UTF-8 bytes (default: the graph name, truncated). */
  readonly name?: string;
  /** Op indices trained on the device: adds the training plan (PROTOCOL.md §5.6, §5.7; ../plan). */
  readonly trainable?: readonly number[];
  /** Training defaults overriding `TRAINING_DEFAULTS` of ../plan/artifact.ts. */
  readonly training?: TrainingOptions;
}

function weightQuant(w: QWeights): ArtifactQuant {
  if (w.scales.length === 1) return { kind: 'PER_TENSOR', scale: w.scales[0]!, zeroPoint: w.zeroPoints[0]! };
  return { kind: 'PER_CHANNEL', axis: w.axis, scales: [...w.scales], zeroPoints: [...w.zeroPoints] };
}

function biasQuant(b: QBias): ArtifactQuant {
  if (b.scales.length === 1) return { kind: 'PER_TENSOR', scale: b.scales[0]!, zeroPoint: 0 };
  return {
    kind: 'PER_CHANNEL',
    axis: 0,
    scales: [...b.scales],
    zeroPoints: new Array<number>(b.scales.length).fill(0),
  };
}

export function toArtifactModel(g: QGraph, o: ArtifactOptions = {}): ArtifactModel {
  const plan = planArena(g);
  const tensors: ArtifactTensor[] = [];
  const ids = new Map<string, number>();
  const activation = (name: string): number => {
    const known = ids.get(name);
    if (known !== undefined) return known;
    const v = g.values.get(name);
    if (!v) throw new QuantError('BAD_GRAPH', `unknown value "${name}"`);
    const flags = name === g.input ? (['INPUT'] as const) : name === g.output ? (['OUTPUT'] as const) : [];
    tensors.push({
      dtype: 'UINT8',
      storage: 'ARENA',
      flags: [...flags],
      shape: [1, ...v.shape],
      quant: { kind: 'PER_TENSOR', scale: v.q.scale, zeroPoint: v.q.zeroPoint },
      arenaOffset: plan.offsets.get(name)!,
    });
    ids.set(name, tensors.length - 1);
    return tensors.length - 1;
  };
  const constant = (t: Omit<ArtifactTensor, 'storage' | 'flags'>): number => {
    tensors.push({ ...t, storage: 'FLASH', flags: [] });
    return tensors.length - 1;
  };
  activation(g.input);
  const ops: ArtifactOp[] = [];
  for (const n of g.nodes) {
    const ins = n.inputs.map(activation);
    if (n.op === 'conv2d' || n.op === 'conv1d' || n.op === 'depthwiseConv2d' || n.op === 'dense') {
      const w = n.weight;
      const wId = constant({
        dtype: w.dtype === 'uint8' ? 'UINT8' : 'INT8',
        shape: w.shape,
        quant: weightQuant(w),
        data: new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength).slice(),
      });
      const bId = constant({
        dtype: 'INT32',
        shape: [n.bias.data.length],
        quant: biasQuant(n.bias),
        data: new Uint8Array(n.bias.data.buffer, n.bias.data.byteOffset, n.bias.data.byteLength).slice(),
      });
      const output = activation(n.output);
      const clamp = { actMin: n.actMin, actMax: n.actMax };
      if (n.op === 'dense') ops.push({ kind: 'DENSE', inputs: [ins[0]!, wId, bId], output, ...clamp });
      else {
        const kind = n.op === 'conv2d' ? 'CONV2D' : n.op === 'conv1d' ? 'CONV1D' : 'DEPTHWISE_CONV2D';
        ops.push({
          kind,
          inputs: [ins[0]!, wId, bId],
          output,
          strideH: n.strides[0],
          strideW: n.strides[1],
          dilationH: n.dilation[0],
          dilationW: n.dilation[1],
          padding: n.pad,
          ...clamp,
        });
      }
      continue;
    }
    const output = activation(n.output);
    switch (n.op) {
      case 'maxPool':
      case 'avgPool':
        if (g.values.get(n.inputs[0]!)!.shape.length !== 3) {
          throw new QuantError('UNSUPPORTED', 'the artifact has no 1-D pools (PROTOCOL.md §5.4)', n.name);
        }
        ops.push({
          kind: n.op === 'maxPool' ? 'MAXPOOL2D' : 'AVGPOOL2D',
          inputs: ins,
          output,
          strideH: n.strides[0],
          strideW: n.strides[1],
          windowH: n.window[0],
          windowW: n.window[1],
          padding: n.pad,
          actMin: n.actMin,
          actMax: n.actMax,
        });
        break;
      case 'concat':
        ops.push({ kind: 'CONCAT', inputs: ins, output, axis: g.values.get(n.output)!.shape.length });
        break;
      default: {
        const kinds = {
          relu: 'RELU',
          relu6: 'RELU6',
          globalAvgPool: 'GLOBAL_AVGPOOL',
          add: 'ADD',
          reshape: 'RESHAPE',
          softmax: 'SOFTMAX',
        } as const;
        ops.push({ kind: kinds[n.op], inputs: ins, output });
      }
    }
  }
  const model: ArtifactModel = {
    name: new TextDecoder()
      .decode(new TextEncoder().encode(o.name ?? g.name).slice(0, P.ARTIFACT_NAME_BYTES - 1))
      .replace(/\uFFFD+$/, ''),
    modelVersion: o.modelVersion ?? 1,
    abiVersion: P.ARTIFACT_ABI_VERSION,
    input: ids.get(g.input)!,
    output: ids.get(g.output)!,
    arenaInferBytes: plan.bytes,
    arenaTrainBytes: 0,
    ops,
    tensors,
    training: null,
  };
  return o.trainable && o.trainable.length > 0 ? withPlan(model, o.trainable, o.training) : model;
}

/** The artifact bytes (unsigned) of a quantized graph. */
export function writeQuantizedArtifact(g: QGraph, o: ArtifactOptions = {}): Uint8Array {
  return writeArtifact(toArtifactModel(g, o));
}
