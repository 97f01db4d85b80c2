/**
 * A first cost ESTIMATE per candidate (not the planner): parameter count, MACs / FLOPs, flash and
 * peak RAM of the int8-deployed model. It sits behind `CostEstimator` so the real memory planner
 * (ML engine II) can replace it.
 *
 * Assumptions of `SimpleCostEstimator`:
 * - flash: BN folded into the preceding conv; every conv / dense stores int8 weights, an int32 bias
 *   per output channel and requantization parameters (int32 multiplier + shift: 8 bytes per channel
 *   per-channel, 8 bytes per tensor per-tensor);
 * - RAM: one byte per activation element (uint8/int8); BN, ReLU(6), dropout, flatten and reshape run
 *   in place; a value lives from the node producing it to its last consumer; the peak is the largest
 *   sum of live buffers while a node runs (its inputs, its output and whatever is still needed);
 *   no arena fragmentation, no scratch buffers (im2col), no runtime overhead;
 * - FLOPs = 2 x MACs (adds and pooling are not counted).
 */
import { inferShapes } from '../../graph/shapes.js';
import { BUFFER_ROLES, type Graph, shapeSize } from '../../graph/types.js';

export interface CostEstimate {
  /** Trainable float parameters (BN gamma/beta included). */
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
  readonly flashBytes: number;
  readonly ramBytes: number;
}

export interface CostOptions {
  /** Quantization granularity per conv/dense node (default: per-channel for all). */
  readonly perChannel?: (node: string) => boolean;
}

export interface CostEstimator {
  readonly name: string;
  estimate(graph: Graph, o?: CostOptions): CostEstimate;
}

const IN_PLACE = new Set(['batchNorm', 'relu', 'relu6', 'dropout', 'flatten', 'reshape']);

export function estimateMacs(graph: Graph, shapes = inferShapes(graph)): number {
  let macs = 0;
  for (const n of graph.nodes) {
    const out = shapes.get(n.name)!;
    const inp = shapes.get(n.inputs[0]!)!;
    switch (n.op) {
      case 'conv2d':
      case 'conv1d': {
        const k = n.attrs.kernel.reduce((a, b) => a * b, 1);
        macs += shapeSize(out) * k * inp[inp.length - 1]!;
        break;
      }
      case 'depthwiseConv2d':
        macs += shapeSize(out) * n.attrs.kernel.reduce((a, b) => a * b, 1);
        break;
      case 'dense':
        macs += shapeSize(inp) * n.attrs.units;
        break;
      default:
        break;
    }
  }
  return macs;
}

/** Peak bytes of live activations (1 byte per element) over a topological execution. */
export function estimatePeakRam(graph: Graph, shapes = inferShapes(graph)): number {
  // in-place nodes share the buffer of their input
  const buffer = new Map<string, string>();
  for (const s of graph.inputs) buffer.set(s.name, s.name);
  for (const n of graph.nodes) buffer.set(n.name, IN_PLACE.has(n.op) ? buffer.get(n.inputs[0]!)! : n.name);
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const v of n.inputs) lastUse.set(buffer.get(v)!, i);
  });
  for (const o of graph.outputs) lastUse.set(buffer.get(o)!, graph.nodes.length);
  const size = (b: string): number => shapeSize(shapes.get(b)!);
  const live = new Set<string>(graph.inputs.map((s) => s.name));
  let peak = [...live].reduce((a, b) => a + size(b), 0);
  graph.nodes.forEach((n, i) => {
    const own = buffer.get(n.name)!;
    live.add(own);
    let total = 0;
    for (const b of live) total += size(b);
    peak = Math.max(peak, total);
    for (const b of [...live]) if ((lastUse.get(b) ?? -1) <= i) live.delete(b);
  });
  return peak;
}

export function countParams(graph: Graph): number {
  let n = 0;
  const seen = new Set<string>();
  for (const node of graph.nodes)
    for (const [role, key] of Object.entries(node.params)) {
      if (key === undefined || seen.has(key) || BUFFER_ROLES.has(role)) continue;
      seen.add(key);
      n += graph.params[key]!.data.length;
    }
  return n;
}

export function estimateFlash(graph: Graph, o: CostOptions = {}): number {
  let bytes = 0;
  for (const n of graph.nodes) {
    if (n.op !== 'conv2d' && n.op !== 'conv1d' && n.op !== 'dense' && n.op !== 'depthwiseConv2d') continue;
    const w = graph.params[n.params.weight]!;
    const cout = w.shape[w.shape.length - 1]!;
    const perChannel = o.perChannel?.(n.name) ?? true;
    bytes += w.data.length + 4 * cout + (perChannel ? 8 * cout : 8);
  }
  return bytes;
}

export const SimpleCostEstimator: CostEstimator = {
  name: 'simple-estimate',
  estimate(graph, o = {}) {
    const shapes = inferShapes(graph);
    const macs = estimateMacs(graph, shapes);
    return {
      params: countParams(graph),
      macs,
      flops: 2 * macs,
      flashBytes: estimateFlash(graph, o),
      ramBytes: estimatePeakRam(graph, shapes),
    };
  },
};
