/**
 * Physical channel removal: given the channels to keep per group, rebuild every affected node with
 * smaller attrs and sliced parameters (see `groups.ts` for which axis of which tensor belongs to a group).
 * The result is a new graph; the input graph is not modified.
 */
import { type Graph, type Node, type Shape, shapeSize, type Tensor } from '../graph/types.js';
import { PruneError } from './errors.js';
import { type GroupAnalysis, isProducer } from './groups.js';

/** Kept channel indices (ascending) per group id; groups not in the map keep everything. */
export type KeepMap = ReadonlyMap<number, readonly number[]>;

/** One axis of one parameter tensor narrowed to the given indices. */
interface Edit {
  readonly role: string;
  readonly axis: number;
  readonly keep: readonly number[];
}

/** `t` restricted to `keep` along `axis`. */
export function sliceAxis(t: Tensor, axis: number, keep: readonly number[]): Tensor {
  const dim = t.shape[axis]!;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= t.shape[i]!;
  const inner = shapeSize(t.shape.slice(axis + 1));
  const shape = t.shape.map((d, i) => (i === axis ? keep.length : d));
  const data = new Float32Array(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    const base = a * dim * inner;
    for (const k of keep) {
      data.set(t.data.subarray(base + k * inner, base + (k + 1) * inner), o);
      o += inner;
    }
  }
  return { shape, data };
}

function expand(keep: readonly number[], channels: number, repeat: number): readonly number[] {
  if (repeat === 1) return keep;
  const out: number[] = [];
  for (let p = 0; p < repeat; p++) for (const c of keep) out.push(p * channels + c);
  return out;
}

function checkKeep(a: GroupAnalysis, keep: KeepMap): void {
  for (const [id, k] of keep) {
    const g = a.groups[id];
    if (!g) throw new PruneError('BAD_KEEP', `no channel group ${id}`);
    if (k.length === 0) throw new PruneError('BAD_KEEP', `group ${id} would lose all its channels`);
    if (g.frozen !== undefined && k.length !== g.channels) {
      throw new PruneError('BAD_KEEP', `group ${id} is frozen (${g.frozen})`);
    }
    for (let i = 0; i < k.length; i++) {
      const c = k[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= g.channels || (i > 0 && c <= k[i - 1]!)) {
        throw new PruneError('BAD_KEEP', `group ${id}: keep list must be ascending indices < ${g.channels}`);
      }
    }
  }
}

/** The parameter edits and the new channel count of one node (null: the node is unchanged). */
function nodeEdits(a: GroupAnalysis, node: Node, keep: KeepMap): { edits: Edit[]; out?: number } | null {
  const inSpace = a.spaceOf.get(node.inputs[0] ?? '');
  const outSpace = a.spaceOf.get(node.name)!;
  const outKeep = keep.get(outSpace.group);
  const edits: Edit[] = [];
  if (isProducer(node)) {
    const inKeepRaw = inSpace ? keep.get(inSpace.group) : undefined;
    const rank = node.op === 'conv2d' ? 4 : node.op === 'conv1d' ? 3 : 2;
    if (inKeepRaw && inSpace) {
      const channels = a.groups[inSpace.group]!.channels;
      edits.push({ role: 'weight', axis: rank - 2, keep: expand(inKeepRaw, channels, inSpace.repeat) });
    }
    if (outKeep) {
      edits.push({ role: 'weight', axis: rank - 1, keep: outKeep });
      edits.push({ role: 'bias', axis: 0, keep: outKeep });
    }
    return edits.length === 0 ? null : { edits, ...(outKeep ? { out: outKeep.length } : {}) };
  }
  if (!outKeep) return null;
  if (node.op === 'depthwiseConv2d') {
    edits.push({ role: 'weight', axis: 2, keep: outKeep }, { role: 'bias', axis: 0, keep: outKeep });
  } else if (node.op === 'batchNorm') {
    for (const role of ['gamma', 'beta', 'mean', 'variance']) edits.push({ role, axis: 0, keep: outKeep });
  }
  return edits.length === 0 ? null : { edits };
}

function withChannels(node: Node, out: number | undefined): Node {
  if (out === undefined) return node;
  if (node.op === 'conv2d' || node.op === 'conv1d')
    return { ...node, attrs: { ...node.attrs, filters: out } };
  if (node.op === 'dense') return { ...node, attrs: { ...node.attrs, units: out } };
  return node;
}

/** The graph with only the kept channels of every group in `keep`. */
export function removeChannels(graph: Graph, a: GroupAnalysis, keep: KeepMap): Graph {
  checkKeep(a, keep);
  const params: Record<string, Tensor> = { ...graph.params };
  const nodes = graph.nodes.map((node) => {
    const e = nodeEdits(a, node, keep);
    if (!e) return node;
    const byRole = new Map<string, Tensor>();
    for (const edit of e.edits) {
      const key = node.params[edit.role];
      if (key === undefined) continue;
      const t = byRole.get(edit.role) ?? graph.params[key]!;
      byRole.set(edit.role, sliceAxis(t, edit.axis, edit.keep));
    }
    for (const [role, t] of byRole) params[node.params[role]!] = t;
    return withChannels(node, e.out);
  });
  return { ...graph, nodes, params };
}

/** Parameter count after `removeChannels` with `counts[g]` channels kept per group, without copying. */
export function prunedParamCount(
  graph: Graph,
  a: GroupAnalysis,
  counts: ReadonlyMap<number, number>,
): number {
  const firstK = new Map<number, number[]>();
  for (const [g, k] of counts)
    firstK.set(
      g,
      Array.from({ length: k }, (_, i) => i),
    );
  let total = 0;
  const seen = new Set<string>();
  for (const node of graph.nodes) {
    const e = nodeEdits(a, node, firstK);
    for (const [role, key] of Object.entries(node.params)) {
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      let shape: Shape = graph.params[key]!.shape;
      for (const edit of e?.edits ?? []) {
        if (edit.role === role) shape = shape.map((d, i) => (i === edit.axis ? edit.keep.length : d));
      }
      total += shapeSize(shape);
    }
  }
  return total;
}
