/**
 * Channel groups: which output channels of which layers must be removed together.
 *
 * Every value of the graph carries a *channel space* on its last axis. A conv2d / conv1d / dense node
 * opens a new space (its filters); ops that keep channels one-to-one (BatchNorm, depthwise conv,
 * activations, pools, dropout, global pooling) pass their input's space on; a residual `add` merges the
 * spaces of all its inputs into one (union-find), so the producers of every branch of a residual sum form
 * one *group* and lose the same channel set. A `flatten` of `[H, W, C]` passes the space on with a
 * `repeat` of H·W: in NHWC order the flattened index is `p·C + c`, so a following dense keeps rows
 * `p·C + c` for every position p and kept channel c.
 *
 * A group is frozen (never pruned) when it reaches a graph output (the classifier's logits), comes from a
 * graph input, or meets an op we do not rewrite channel-wise (concat, reshape, a per-channel op on a
 * flattened value). Removing channel c of a group edits: the producers' filters (last weight axis, bias),
 * the members' per-channel parameters (depthwise weights, BatchNorm), and the consumers' input axis
 * (conv2d axis 2, conv1d axis 1, dense rows).
 */
import { inferShapes } from '../graph/shapes.js';
import type { Graph, Node } from '../graph/types.js';

export type ProducerOp = 'conv2d' | 'conv1d' | 'dense';

export interface ChannelGroup {
  readonly id: number;
  readonly channels: number;
  /** Nodes whose output channels are this group (more than one across a residual add). */
  readonly producers: string[];
  /** Nodes with per-channel parameters in this space (depthwise, BatchNorm). */
  readonly members: string[];
  /** Nodes reading this space on their input-channel axis (conv2d, conv1d, dense). */
  readonly consumers: string[];
  /** First ReLU / ReLU6 value in the space (for APoZ), if any. */
  activation?: string;
  /** Every value whose channels are this group. */
  readonly values: string[];
  /** Why the group may not be pruned; undefined when it may. */
  frozen?: string;
}

/** The channel space of one value: its group and how many positions a flatten folded in. */
export interface ValueSpace {
  readonly group: number;
  readonly repeat: number;
}

export interface GroupAnalysis {
  readonly groups: readonly ChannelGroup[];
  readonly spaceOf: ReadonlyMap<string, ValueSpace>;
}

const PASS_THROUGH: ReadonlySet<string> = new Set([
  'relu',
  'relu6',
  'maxPool',
  'avgPool',
  'dropout',
  'softmax',
  'globalAvgPool',
]);
const PER_CHANNEL: ReadonlySet<string> = new Set(['batchNorm', 'depthwiseConv2d']);

export function isProducer(node: Node): node is Extract<Node, { op: ProducerOp }> {
  return node.op === 'conv2d' || node.op === 'conv1d' || node.op === 'dense';
}

class UnionFind {
  private readonly parent: number[] = [];
  make(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    let c = x;
    while (this.parent[c] !== r) {
      const next = this.parent[c]!;
      this.parent[c] = r;
      c = next;
    }
    return r;
  }
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
    return Math.min(ra, rb);
  }
}

interface Raw {
  space: number;
  repeat: number;
}

/** Find the channel groups of a graph (validates it with shape inference first). */
export function analyzeGroups(graph: Graph): GroupAnalysis {
  const shapes = inferShapes(graph);
  const uf = new UnionFind();
  const raw = new Map<string, Raw>();
  const frozen = new Map<number, string>();
  const channelsOf = new Map<number, number>();
  const freeze = (space: number, why: string): void => {
    if (!frozen.has(space)) frozen.set(space, why);
  };
  const fresh = (channels: number): number => {
    const s = uf.make();
    channelsOf.set(s, channels);
    return s;
  };
  for (const input of graph.inputs) {
    const s = fresh(input.shape[input.shape.length - 1]!);
    freeze(s, `graph input "${input.name}"`);
    raw.set(input.name, { space: s, repeat: 1 });
  }
  for (const node of graph.nodes) {
    const ins = node.inputs.map((i) => raw.get(i)!);
    const first = ins[0]!;
    const shape = shapes.get(node.name)!;
    const channels = shape[shape.length - 1]!;
    if (isProducer(node)) {
      raw.set(node.name, { space: fresh(channels), repeat: 1 });
    } else if (PASS_THROUGH.has(node.op)) {
      raw.set(node.name, first);
    } else if (PER_CHANNEL.has(node.op)) {
      if (first.repeat !== 1) freeze(first.space, `${node.op} "${node.name}" on a flattened value`);
      raw.set(node.name, first);
    } else if (node.op === 'flatten') {
      const inShape = shapes.get(node.inputs[0]!)!;
      const c = inShape[inShape.length - 1]!;
      raw.set(node.name, { space: first.space, repeat: (shape[0]! * first.repeat) / c });
    } else if (node.op === 'add') {
      let s = first.space;
      for (const r of ins) {
        if (r.repeat !== first.repeat) freeze(r.space, `add "${node.name}" of differently flattened values`);
        s = uf.union(s, r.space);
      }
      raw.set(node.name, { space: s, repeat: first.repeat });
    } else {
      // concat, reshape: channel positions move; leave their inputs whole.
      for (const r of ins) freeze(r.space, `${node.op} "${node.name}"`);
      const s = fresh(channels);
      freeze(s, `${node.op} "${node.name}"`);
      raw.set(node.name, { space: s, repeat: 1 });
    }
  }
  for (const o of graph.outputs) freeze(raw.get(o)!.space, `graph output "${o}"`);

  const ids = new Map<number, ChannelGroup>();
  const groups: ChannelGroup[] = [];
  const spaceOf = new Map<string, ValueSpace>();
  const groupOf = (space: number): ChannelGroup => {
    const root = uf.find(space);
    let g = ids.get(root);
    if (!g) {
      g = {
        id: groups.length,
        channels: channelsOf.get(root)!,
        producers: [],
        members: [],
        consumers: [],
        values: [],
      };
      ids.set(root, g);
      groups.push(g);
    }
    return g;
  };
  for (const [space, why] of frozen) {
    const g = groupOf(space);
    g.frozen ??= why;
  }
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const [value, r] of raw) {
    const g = groupOf(r.space);
    spaceOf.set(value, { group: g.id, repeat: r.repeat });
    g.values.push(value);
    const node = byName.get(value);
    if (!node) continue;
    if (isProducer(node)) g.producers.push(node.name);
    if (PER_CHANNEL.has(node.op)) g.members.push(node.name);
    if ((node.op === 'relu' || node.op === 'relu6') && g.activation === undefined) g.activation = node.name;
  }
  for (const node of graph.nodes) {
    if (!isProducer(node)) continue;
    groupOf(raw.get(node.inputs[0]!)!.space).consumers.push(node.name);
  }
  return { groups, spaceOf };
}

/** The groups that may be pruned (not frozen and more than one channel). */
export function prunableGroups(a: GroupAnalysis): ChannelGroup[] {
  return a.groups.filter((g) => g.frozen === undefined && g.channels > 1);
}
