/**
 * Choosing which channels to keep so that the pruned graph has at most a target number of parameters.
 *
 * - `per-layer`: every prunable group loses the same fraction r of its channels (rounded, at least one
 *   channel kept); r is the smallest fraction that meets the target (bisection; the parameter count only
 *   falls as r grows).
 * - `global`: all channels of all groups are ranked by their score divided by their group's mean score
 *   (criteria differ in scale between layers) and removed lowest first until the target is met.
 *
 * In both, removed channels are then given back, highest normalized score first, wherever they still
 * fit the target (a channel of a cheap layer may fit where an expensive one does not; see `giveBack`).
 *
 * Within a group the lowest-scoring channels go first; ties keep the lower index.
 */
import type { Graph } from '../graph/types.js';
import type { Scores } from './criteria.js';
import { PruneError } from './errors.js';
import type { ChannelGroup, GroupAnalysis } from './groups.js';
import { type KeepMap, prunedParamCount } from './surgery.js';

export type Scope = 'per-layer' | 'global';

/** The `k` highest-scoring channels, ascending by index. */
export function topChannels(scores: Float64Array, k: number): number[] {
  const order = Array.from(scores.keys()).sort((x, y) => scores[y]! - scores[x]! || x - y);
  return order.slice(0, k).sort((x, y) => x - y);
}

function perLayerCounts(groups: readonly ChannelGroup[], r: number): Map<number, number> {
  return new Map(groups.map((g) => [g.id, Math.max(1, Math.round((1 - r) * g.channels))]));
}

function globalCounts(
  groups: readonly ChannelGroup[],
  order: readonly { group: number }[],
  removed: number,
): Map<number, number> {
  const counts = new Map(groups.map((g) => [g.id, g.channels]));
  for (let i = 0; i < removed; i++) {
    const id = order[i]!.group;
    counts.set(id, Math.max(1, counts.get(id)! - 1));
  }
  return counts;
}

function globalOrder(groups: readonly ChannelGroup[], scores: Scores): { group: number; score: number }[] {
  const all: { group: number; score: number; c: number }[] = [];
  for (const g of groups) {
    const s = scores.get(g.id)!;
    let mean = 0;
    for (const v of s) mean += v / s.length;
    for (let c = 0; c < s.length; c++) all.push({ group: g.id, score: mean > 0 ? s[c]! / mean : 0, c });
  }
  // Within a group, removal order must follow the group's own ranking (lowest score first).
  return all.sort((x, y) => x.score - y.score || x.group - y.group || x.c - y.c);
}

/**
 * Channels to keep per group so that the graph has at most `targetParams` parameters (or as few as
 * possible when the target cannot be met with one channel per group).
 */
export function chooseChannels(
  graph: Graph,
  a: GroupAnalysis,
  groups: readonly ChannelGroup[],
  scores: Scores,
  targetParams: number,
  scope: Scope,
): KeepMap {
  if (groups.length === 0)
    throw new PruneError('NOTHING_PRUNABLE', 'the model has no prunable channel group');
  const fits = (c: Map<number, number>): boolean => prunedParamCount(graph, a, c) <= targetParams;
  const order = globalOrder(groups, scores);
  let counts: Map<number, number>;
  if (scope === 'per-layer') {
    let lo = 0;
    let hi = fits(perLayerCounts(groups, 0)) ? 0 : 1;
    for (let i = 0; i < 40 && hi > 0; i++) {
      const mid = (lo + hi) / 2;
      if (fits(perLayerCounts(groups, mid))) hi = mid;
      else lo = mid;
    }
    counts = perLayerCounts(groups, hi);
  } else {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (fits(globalCounts(groups, order, mid))) hi = mid;
      else lo = mid + 1;
    }
    counts = globalCounts(groups, order, lo);
  }
  return keepLists(groups, scores, giveBack(groups, order, counts, fits));
}

/**
 * Spend what the target leaves: walk all channels from the highest normalized score down and give
 * back each removed one whose group can still grow within the target (rounding in `per-layer`, the
 * prefix cut in `global` leave room). Parameters only grow, so a group that did not fit once never will.
 */
function giveBack(
  groups: readonly ChannelGroup[],
  order: readonly { group: number }[],
  initial: ReadonlyMap<number, number>,
  fits: (c: Map<number, number>) => boolean,
): Map<number, number> {
  const channels = new Map(groups.map((g) => [g.id, g.channels]));
  const seen = new Map<number, number>();
  const full = new Set<number>();
  let counts = new Map(initial);
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i]!.group;
    const rank = seen.get(id) ?? 0;
    seen.set(id, rank + 1);
    if (rank < initial.get(id)! || full.has(id) || counts.get(id)! >= channels.get(id)!) continue;
    const trial = new Map(counts).set(id, counts.get(id)! + 1);
    if (fits(trial)) counts = trial;
    else full.add(id);
  }
  return counts;
}

function keepLists(groups: readonly ChannelGroup[], scores: Scores, counts: Map<number, number>): KeepMap {
  const keep = new Map<number, readonly number[]>();
  for (const g of groups) {
    const k = counts.get(g.id)!;
    if (k < g.channels) keep.set(g.id, topChannels(scores.get(g.id)!, k));
  }
  return keep;
}
