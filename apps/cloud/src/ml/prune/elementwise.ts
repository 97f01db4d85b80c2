/**
 * Element-wise (unstructured) magnitude pruning: the smallest |w| of conv / depthwise / dense weights
 * are set to zero and a mask keeps them at zero during fine-tuning. The tensors keep their shapes, so
 * the model is NOT physically smaller: the result is reported as sparsity (non-zero parameters), and
 * only a sparse storage format or kernel could turn it into flash or time savings.
 *
 * `sparsity` is the fraction of *all* parameters to zero (biases and BatchNorm are never pruned):
 * `per-layer` zeroes the same fraction of every weight tensor, `global` the smallest magnitudes across
 * all of them. Every tensor keeps at least one non-zero weight.
 */
import type { Graph, Tensor } from '../graph/types.js';
import { countParams } from './count.js';
import { PruneError } from './errors.js';
import type { Scope } from './structured.js';

/** Parameter key -> 1 (kept) / 0 (pruned), one entry per weight element. */
export type MaskMap = ReadonlyMap<string, Uint8Array>;

const WEIGHTED: ReadonlySet<string> = new Set(['conv2d', 'conv1d', 'depthwiseConv2d', 'dense']);

/** Keys of the weight tensors element-wise pruning may touch. */
export function prunableWeights(graph: Graph): string[] {
  const keys = new Set<string>();
  for (const n of graph.nodes) if (WEIGHTED.has(n.op) && n.params.weight) keys.add(n.params.weight);
  return [...keys];
}

/** Zero the `zeros` smallest |w| of one tensor (at least one survives). */
function tensorMask(t: Tensor, zeros: number): Uint8Array {
  const n = t.data.length;
  const z = Math.min(Math.max(0, Math.round(zeros)), n - 1);
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => Math.abs(t.data[x]!) - Math.abs(t.data[y]!) || x - y,
  );
  const mask = new Uint8Array(n).fill(1);
  for (let i = 0; i < z; i++) mask[order[i]!] = 0;
  return mask;
}

/** Masks that zero a `sparsity` fraction of the model's parameters by weight magnitude. */
export function magnitudeMasks(graph: Graph, sparsity: number, scope: Scope): Map<string, Uint8Array> {
  if (!(sparsity >= 0 && sparsity < 1)) {
    throw new PruneError('BAD_CONFIG', `sparsity must be in [0, 1), got ${sparsity}`);
  }
  const keys = prunableWeights(graph);
  if (keys.length === 0) throw new PruneError('NOTHING_PRUNABLE', 'the model has no weight tensors');
  const tensors = keys.map((k) => graph.params[k]!);
  const weights = tensors.reduce((s, t) => s + t.data.length, 0);
  const target = sparsity * countParams(graph);
  const masks = new Map<string, Uint8Array>();
  if (scope === 'per-layer') {
    const r = Math.min(1, target / weights);
    for (const [i, k] of keys.entries()) masks.set(k, tensorMask(tensors[i]!, r * tensors[i]!.data.length));
    return masks;
  }
  const all: { t: number; i: number; m: number }[] = [];
  tensors.forEach((t, ti) => {
    for (let i = 0; i < t.data.length; i++) all.push({ t: ti, i, m: Math.abs(t.data[i]!) });
  });
  all.sort((x, y) => x.m - y.m || x.t - y.t || x.i - y.i);
  const left = tensors.map((t) => t.data.length);
  for (const [ti, t] of tensors.entries()) masks.set(keys[ti]!, new Uint8Array(t.data.length).fill(1));
  let zeroed = 0;
  for (const e of all) {
    if (zeroed >= Math.round(target)) break;
    if (left[e.t]! <= 1) continue;
    masks.get(keys[e.t]!)![e.i] = 0;
    left[e.t]!--;
    zeroed++;
  }
  return masks;
}

/** The graph with masked weights set to zero. */
export function applyMasks(graph: Graph, masks: MaskMap): Graph {
  const params: Record<string, Tensor> = { ...graph.params };
  for (const [key, mask] of masks) {
    const t = graph.params[key];
    if (!t || t.data.length !== mask.length) {
      throw new PruneError('BAD_CONFIG', `mask for "${key}" does not match the parameter`);
    }
    const data = t.data.slice();
    for (let i = 0; i < data.length; i++) if (mask[i] === 0) data[i] = 0;
    params[key] = { shape: t.shape, data };
  }
  return { ...graph, params };
}
