/**
 * Post-training static quantization (PROTOCOL.md §6.4): fold BatchNorm, drop dropout, calibrate,
 * then build a `QGraph` with uint8 per-tensor activations, uint8 per-tensor or int8 per-channel
 * weights, int32 bias, explicit padding and ReLU/ReLU6 fused into the conv/dense before them.
 */
import type { DataSplit } from '../data/types.js';
import { foldBatchNorm } from '../graph/fold.js';
import { inferShapes, outLength, padBefore } from '../graph/shapes.js';
import type { Graph, Node, Padding, Shape } from '../graph/types.js';
import { type CalibrationOptions, calibrate, type Range } from './calibrate.js';
import { relu6Max, SOFTMAX_OUT } from './elementwise.js';
import { QuantError } from './errors.js';
import type { Pad, QGraph, QNode, QParams, QValue } from './types.js';
import { qparamsFromRange, quantizeBias, quantizeWeights, toOhwi } from './weights.js';

export interface PtqOptions extends CalibrationOptions {
  /** int8 symmetric per-channel weights (default: uint8 per-tensor, trainable on device). */
  readonly perChannel?: boolean;
  /** Fixed input qparams, e.g. the data set's `inputEncoding` (default: calibrated). */
  readonly inputQ?: QParams;
  /** Ranges to use instead of calibrated ones (e.g. learned by QAT, `qat/`); missing ones are calibrated. */
  readonly ranges?: ReadonlyMap<string, Range>;
}

/** Folds BatchNorm and removes dropout (identity at inference). */
export function prepareFloatGraph(graph: Graph): Graph {
  const g = foldBatchNorm(graph);
  const rename = new Map<string, string>();
  const ref = (v: string): string => rename.get(v) ?? v;
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (n.op === 'dropout') rename.set(n.name, ref(n.inputs[0]!));
    else nodes.push({ ...n, inputs: n.inputs.map(ref) } as Node);
  }
  return { ...g, nodes, outputs: g.outputs.map(ref) };
}

function explicitPad(
  inS: readonly number[],
  k: readonly number[],
  s: readonly number[],
  d: readonly number[],
  p: Padding,
): Pad {
  const one = (i: number): [number, number] => {
    if (p === 'valid') return [0, 0];
    const out = outLength(inS[i]!, k[i]!, s[i]!, d[i]!, p);
    const total = Math.max(0, (out - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - inS[i]!);
    const before = padBefore(inS[i]!, k[i]!, s[i]!, d[i]!, p);
    return [before, total - before];
  };
  const [top, bottom] = one(0);
  const [left, right] = one(1);
  return { top, left, bottom, right };
}

/** Quantizes a prepared graph (`prepareFloatGraph`) given calibrated ranges of every value. */
export function quantizeGraph(graph: Graph, ranges: Map<string, Range>, o: PtqOptions = {}): QGraph {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new QuantError('UNSUPPORTED', 'only graphs with one input and one output are quantized');
  }
  const shapes = inferShapes(graph);
  const uses = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) uses.set(i, [...(uses.get(i) ?? []), n]);
  const values = new Map<string, QValue>();
  const alias = new Map<string, string>(); // fused relu -> conv output
  const ref = (v: string): string => alias.get(v) ?? v;
  const qvalue = (v: string): QValue => values.get(ref(v))!;
  const range = (v: string): Range => {
    const r = ranges.get(v);
    if (!r) throw new QuantError('BAD_GRAPH', `no calibration range for "${v}"`);
    return r;
  };
  const put = (name: string, shape: Shape, q: QParams) => values.set(name, { name, shape, q });
  const input = graph.inputs[0]!;
  put(input.name, input.shape, o.inputQ ?? qparamsFromRange(range(input.name).min, range(input.name).max));
  const nodes: QNode[] = [];
  const full = { actMin: 0, actMax: 255 };

  for (const n of graph.nodes) {
    if (alias.has(n.name)) continue;
    const x = qvalue(n.inputs[0]!);
    const inputs = n.inputs.map(ref);
    const outShape = shapes.get(n.name)!;
    switch (n.op) {
      case 'conv2d':
      case 'conv1d':
      case 'depthwiseConv2d':
      case 'dense': {
        const next = uses.get(n.name);
        const fused =
          next?.length === 1 &&
          (next[0]!.op === 'relu' || next[0]!.op === 'relu6') &&
          !graph.outputs.includes(n.name)
            ? next[0]!
            : undefined;
        const outName = fused ? fused.name : n.name;
        const q = qparamsFromRange(range(outName).min, range(outName).max);
        put(outName, outShape, q);
        if (fused) alias.set(fused.name, fused.name);
        const clamp = !fused
          ? full
          : { actMin: q.zeroPoint, actMax: fused.op === 'relu' ? 255 : relu6Max(q) };
        const wT = graph.params[n.params.weight]!;
        const b = n.params.bias ? graph.params[n.params.bias]!.data : undefined;
        const per = o.perChannel === true;
        if (n.op === 'dense') {
          const [inN, outN] = wT.shape as [number, number];
          const w = quantizeWeights(
            toOhwi(wT.data, 1, 1, inN, outN),
            [outN, inN],
            outN,
            (i) => Math.floor(i / inN),
            0,
            per,
          );
          nodes.push({
            op: 'dense',
            name: n.name,
            inputs,
            output: outName,
            weight: w,
            bias: quantizeBias(b, outN, x.q.scale, w),
            ...clamp,
          });
          break;
        }
        const oneD = n.op === 'conv1d';
        const k: [number, number] = oneD ? [1, n.attrs.kernel[0]!] : [n.attrs.kernel[0]!, n.attrs.kernel[1]!];
        const s: [number, number] = oneD
          ? [1, n.attrs.strides[0]!]
          : [n.attrs.strides[0]!, n.attrs.strides[1]!];
        const d: [number, number] = oneD
          ? [1, n.attrs.dilation[0]!]
          : [n.attrs.dilation[0]!, n.attrs.dilation[1]!];
        const inHW = oneD ? [1, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
        const pad = explicitPad(inHW, k, s, d, n.attrs.padding);
        const cin = x.shape[x.shape.length - 1]!;
        let w: ReturnType<typeof quantizeWeights>;
        let cout: number;
        if (n.op === 'depthwiseConv2d') {
          cout = cin;
          w = quantizeWeights(wT.data, [1, k[0], k[1], cin], cin, (i) => i % cin, 3, per);
        } else {
          cout = n.attrs.filters;
          const per1 = k[0] * k[1] * cin;
          const shape = oneD ? [cout, k[1], cin] : [cout, k[0], k[1], cin];
          w = quantizeWeights(
            toOhwi(wT.data, k[0], k[1], cin, cout),
            shape,
            cout,
            (i) => Math.floor(i / per1),
            0,
            per,
          );
        }
        const bias = quantizeBias(b, cout, x.q.scale, w);
        nodes.push({
          op: n.op,
          name: n.name,
          inputs,
          output: outName,
          weight: w,
          bias,
          kernel: k,
          strides: s,
          dilation: d,
          pad,
          ...clamp,
        });
        break;
      }
      case 'maxPool':
      case 'avgPool': {
        const oneD = x.shape.length === 2;
        const win: [number, number] = oneD
          ? [1, n.attrs.kernel[0]!]
          : [n.attrs.kernel[0]!, n.attrs.kernel[1]!];
        const s: [number, number] = oneD
          ? [1, n.attrs.strides[0]!]
          : [n.attrs.strides[0]!, n.attrs.strides[1]!];
        const inHW = oneD ? [1, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
        const pad = explicitPad(inHW, win, s, [1, 1], n.attrs.padding);
        put(n.name, outShape, x.q); // PROTOCOL.md §6.3.6: pools keep the input qparams
        nodes.push({ op: n.op, name: n.name, inputs, output: n.name, window: win, strides: s, pad, ...full });
        break;
      }
      case 'relu':
      case 'relu6':
      case 'globalAvgPool':
      case 'flatten':
      case 'reshape':
        put(n.name, outShape, x.q); // PROTOCOL.md §6.3: same qparams in and out
        nodes.push({ op: n.op === 'flatten' ? 'reshape' : n.op, name: n.name, inputs, output: n.name });
        break;
      case 'add':
      case 'concat': {
        if (n.op === 'add' && n.inputs.length !== 2)
          throw new QuantError('UNSUPPORTED', 'add of more than two inputs', n.name);
        if (n.op === 'concat' && n.inputs.length > 4)
          throw new QuantError('UNSUPPORTED', 'concat of more than four inputs', n.name);
        put(n.name, outShape, qparamsFromRange(range(n.name).min, range(n.name).max));
        nodes.push({ op: n.op, name: n.name, inputs, output: n.name });
        break;
      }
      case 'softmax':
        put(n.name, outShape, SOFTMAX_OUT);
        nodes.push({ op: 'softmax', name: n.name, inputs, output: n.name });
        break;
      case 'batchNorm':
      case 'dropout':
        throw new QuantError('UNSUPPORTED', `${n.op} that cannot be folded into a conv or dense`, n.name);
    }
  }
  return { name: graph.name, input: input.name, output: ref(graph.outputs[0]!), values, nodes };
}

/** Fold, calibrate on `split` (unless `o.ranges` has every value), quantize. */
export function postTrainingQuantize(graph: Graph, split: DataSplit, o: PtqOptions = {}): QGraph {
  const g = prepareFloatGraph(graph);
  const given = o.ranges ?? new Map<string, Range>();
  const names = [...g.inputs.map((i) => i.name), ...g.nodes.map((n) => n.name)];
  const ranges = names.every((v) => given.has(v)) ? new Map(given) : calibrate(g, split, o);
  for (const [v, r] of given) ranges.set(v, r);
  return quantizeGraph(g, ranges, o);
}
