/**
 * The QAT graph transform: annotates a prepared float graph (BatchNorm folded, dropout removed:
 * `prepareFloatGraph`) with the fake quantization of the engine (`engine/ops/fake-quant.ts`) at exactly
 * the places PTQ quantizes (PROTOCOL.md §6.4): the weights of every conv / depthwise / dense, the
 * outputs that get their own qparams (conv / dense outputs, or the ReLU / ReLU6 fused into them, ADD,
 * CONCAT) and the graph input. Which values those are is read from PTQ's own `quantizeGraph`, so the
 * two cannot disagree. AVGPOOL2D and GLOBAL_AVGPOOL round their averages to their input's qparams
 * (§6.3.6-6.3.7): they share that value's range, without updating it. MAXPOOL2D, RELU, RELU6 and
 * RESHAPE keep values on their input's grid and need nothing; SOFTMAX is outside the loss.
 */
import { type FakeQuantAttrs, fakeQuantOf, RANGE_ROLE, withFakeQuant } from '../../engine/ops/fake-quant.js';
import type { Graph, Node, Tensor } from '../../graph/types.js';
import type { Range } from '../calibrate.js';
import { type PtqOptions, quantizeGraph } from '../ptq.js';

/** Ops whose output has their input's qparams (PROTOCOL.md §6.4). */
const SAME_QPARAMS: ReadonlySet<string> = new Set([
  'maxPool',
  'avgPool',
  'relu',
  'relu6',
  'globalAvgPool',
  'flatten',
  'reshape',
]);

export interface FakeQuantGraphOptions extends Pick<PtqOptions, 'perChannel' | 'inputQ'> {
  /** EMA rate of the activation ranges per training step (default 0.01; 0 keeps them fixed). */
  readonly momentum?: number;
}

/**
 * `prepared` with fake-quant annotations; activation ranges start at `ranges` (the calibration) and
 * live in `<node>.qrange` parameters.
 */
export function fakeQuantGraph(
  prepared: Graph,
  ranges: ReadonlyMap<string, Range>,
  o: FakeQuantGraphOptions = {},
): Graph {
  const q = quantizeGraph(prepared, new Map(ranges), o);
  const weighted = new Set<string>();
  const outputs = new Set<string>();
  for (const n of q.nodes) {
    if (n.op === 'conv2d' || n.op === 'conv1d' || n.op === 'depthwiseConv2d' || n.op === 'dense')
      weighted.add(n.name);
    if (weighted.has(n.name) || n.op === 'add' || n.op === 'concat') outputs.add(n.output);
  }
  const inputQ = q.values.get(q.input)!.q;
  const firstReader = prepared.nodes.find((n) => n.inputs.includes(q.input))?.name;
  const weight = o.perChannel === true ? 'int8-per-channel' : 'uint8';
  const momentum = o.momentum ?? 0.01;
  const params: Record<string, Tensor> = { ...prepared.params };
  // the value whose range a same-qparams op's output shares (none for the graph input's grid)
  const owner = new Map<string, string>();
  const key = (v: string): string => `${v}.${RANGE_ROLE}`;
  const nodes = prepared.nodes.map((n): Node => {
    const fq: { -readonly [K in keyof FakeQuantAttrs]: FakeQuantAttrs[K] } = {};
    if (weighted.has(n.name)) fq.weight = weight;
    if (n.name === firstReader) fq.input = inputQ;
    let rangeKey: string | undefined;
    const from = owner.get(n.inputs[0] ?? '');
    if (outputs.has(n.name)) {
      const r = ranges.get(n.name)!;
      rangeKey = key(n.name);
      params[rangeKey] = { shape: [2], data: Float32Array.of(r.min, r.max) };
      fq.output = { momentum };
      owner.set(n.name, n.name);
    } else if (SAME_QPARAMS.has(n.op) && from !== undefined) {
      owner.set(n.name, from);
      if (n.op === 'avgPool' || n.op === 'globalAvgPool') {
        rangeKey = key(from);
        fq.output = { momentum: 0 };
      }
    }
    return Object.keys(fq).length === 0 ? n : withFakeQuant(n, fq, rangeKey);
  });
  return { ...prepared, nodes, params };
}

/** Removes the annotations; returns the plain float graph and the learned output ranges. */
export function stripFakeQuant(graph: Graph): { graph: Graph; ranges: Map<string, Range> } {
  const ranges = new Map<string, Range>();
  const params: Record<string, Tensor> = { ...graph.params };
  const nodes = graph.nodes.map((n): Node => {
    if (!fakeQuantOf(n)) return n;
    const { fakeQuant: _, ...attrs } = n.attrs as Record<string, unknown>;
    const { [RANGE_ROLE]: key, ...rest } = n.params as Record<string, string>;
    const r = key === undefined ? undefined : graph.params[key]?.data;
    if (key === `${n.name}.${RANGE_ROLE}` && r) ranges.set(n.name, { min: r[0]!, max: r[1]! });
    if (key !== undefined) delete params[key];
    return { ...n, attrs, params: rest } as Node;
  });
  return { graph: { ...graph, nodes, params }, ranges };
}
