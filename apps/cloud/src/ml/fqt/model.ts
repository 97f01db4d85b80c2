/**
 * The trained part of a quantized graph (PROTOCOL.md §6.6.2): the frozen prefix runs as inference
 * (the integer interpreter); from the first trained op to the logits the graph must be a chain of
 * ops with a backward pass. This file checks that and derives each op's geometry once (Prepare).
 */
import { Interpreter } from '../quant/interpreter.js';
import type { ConvGeometry, PoolGeometry } from '../quant/kernels.js';
import type { QConv, QDense, QGraph, QNode, QPool, QValue } from '../quant/types.js';
import { size } from '../quant/types.js';
import { FqtError } from './errors.js';

export type WeightedNode = QConv | QDense;

/** A weighted op of the chain: structures, elements per structure, output positions. */
export interface WeightedInfo {
  readonly kind: 'conv' | 'depthwise' | 'dense';
  readonly node: WeightedNode;
  readonly geom: ConvGeometry | null;
  readonly inputs: number;
  readonly structures: number;
  readonly elements: number;
  readonly positions: number;
  readonly layout: 'ohwi' | '1hwc' | 'oi';
}

export interface ChainOp {
  /** Index of the node in the QGraph = op index of the artifact (PROTOCOL.md §5.4). */
  readonly index: number;
  readonly node: QNode;
  readonly x: QValue;
  readonly y: QValue;
  readonly weighted: WeightedInfo | null;
  readonly pool: PoolGeometry | null;
}

export interface TrainedChain {
  readonly prefix: Interpreter | null;
  /** Input value of the chain (the graph input or the last prefix output). */
  readonly input: string;
  readonly ops: readonly ChainOp[];
  /** The logits: output of the last chain op (a trailing SOFTMAX is not part of the chain). */
  readonly logits: QValue;
}

const BACKWARD_OPS = new Set([
  'conv2d',
  'conv1d',
  'depthwiseConv2d',
  'dense',
  'relu',
  'relu6',
  'maxPool',
  'avgPool',
  'globalAvgPool',
  'reshape',
]);

const hwc = (s: readonly number[]): number[] => (s.length === 2 ? [1, ...s] : [...s]);

function weightedInfo(n: WeightedNode, x: QValue, y: QValue): WeightedInfo {
  if (n.weight.dtype !== 'uint8' || n.weight.scales.length !== 1)
    throw new FqtError(
      'UNSUPPORTED',
      `${n.name}: trained weights must be uint8 per tensor (PROTOCOL.md §6.6.1)`,
    );
  if (n.op === 'dense') {
    const inputs = size(x.shape);
    const units = y.shape[0]!;
    return {
      kind: 'dense',
      node: n,
      geom: null,
      inputs,
      structures: units,
      elements: inputs,
      positions: 1,
      layout: 'oi',
    };
  }
  const xs = hwc(x.shape);
  const ys = hwc(y.shape);
  const geom: ConvGeometry = {
    inH: xs[0]!,
    inW: xs[1]!,
    inC: xs[2]!,
    outH: ys[0]!,
    outW: ys[1]!,
    outC: ys[2]!,
    kernel: n.kernel,
    strides: n.strides,
    dilation: n.dilation,
    pad: n.pad,
  };
  const dw = n.op === 'depthwiseConv2d';
  return {
    kind: dw ? 'depthwise' : 'conv',
    node: n,
    geom,
    inputs: size(x.shape),
    structures: geom.outC,
    elements: n.kernel[0] * n.kernel[1] * (dw ? 1 : geom.inC),
    positions: geom.outH * geom.outW,
    layout: dw ? '1hwc' : 'ohwi',
  };
}

function poolGeometry(n: QPool | QNode, x: QValue, y: QValue): PoolGeometry {
  const xs = hwc(x.shape);
  const ys = hwc(y.shape);
  if (n.op === 'globalAvgPool') {
    return {
      inH: xs[0]!,
      inW: xs[1]!,
      C: xs[2]!,
      outH: 1,
      outW: 1,
      window: [xs[0]!, xs[1]!],
      strides: [1, 1],
      pad: { top: 0, left: 0, bottom: 0, right: 0 },
    };
  }
  const p = n as QPool;
  return {
    inH: xs[0]!,
    inW: xs[1]!,
    C: xs[2]!,
    outH: ys[0]!,
    outW: ys[1]!,
    window: p.window,
    strides: p.strides,
    pad: p.pad,
  };
}

/** Splits `graph` at its first trained op and checks the chain above it. */
export function trainedChain(graph: QGraph, layers: readonly number[]): TrainedChain {
  if (layers.length === 0) throw new FqtError('BAD_CONFIG', 'no layer to train');
  const first = Math.min(...layers);
  for (const l of layers) {
    const n = graph.nodes[l];
    if (!n || !('weight' in n))
      throw new FqtError('BAD_CONFIG', `op ${l} is not a CONV2D, DEPTHWISE_CONV2D, CONV1D or DENSE`);
  }
  let nodes = graph.nodes.slice(first);
  if (nodes.at(-1)?.op === 'softmax') nodes = nodes.slice(0, -1);
  const value = (name: string): QValue => {
    const v = graph.values.get(name);
    if (!v) throw new FqtError('UNSUPPORTED', `unknown value "${name}"`);
    return v;
  };
  const input = nodes[0]!.inputs[0]!;
  const ops: ChainOp[] = nodes.map((node, i) => {
    const prev = i === 0 ? input : nodes[i - 1]!.output;
    if (!BACKWARD_OPS.has(node.op) || node.inputs.length !== 1 || node.inputs[0] !== prev)
      throw new FqtError(
        'UNSUPPORTED',
        `${node.name}: the trained part must be a chain of conv/dense/relu/pool/reshape ops (PROTOCOL.md §6.6.2)`,
      );
    const x = value(node.inputs[0]!);
    const y = value(node.output);
    const weighted = 'weight' in node ? weightedInfo(node, x, y) : null;
    const pool =
      node.op === 'maxPool' || node.op === 'avgPool' || node.op === 'globalAvgPool'
        ? poolGeometry(node, x, y)
        : null;
    return { index: first + i, node, x, y, weighted, pool };
  });
  const prefix =
    first > 0 ? new Interpreter({ ...graph, nodes: graph.nodes.slice(0, first), output: input }) : null;
  return { prefix, input, ops, logits: ops.at(-1)!.y };
}
