/**
 * The pruning genes of a genome as keep lists (prune/surgery.ts): every prunable channel group
 * (prune/groups.ts) keeps round((1 - ratio * fraction) * C) of its original C channels (at least one),
 * the highest by L1 norm. A group's ratio is its producers' stage gene (`stageOfNode`); a group spanning
 * stages (a residual identity shortcut) takes the smallest of them, and one touching the stem or head
 * takes 0. `fraction` < 1 is a step of gradual pruning (prune-train.ts); `original` gives the channel
 * counts before any step (default: the graph's own). `compressModel` takes one global sparsity, so the
 * per-stage ratios use the lower-level API (scoreChannels / topChannels) directly.
 */
import type { Graph } from '../graph/types.js';
import { analyzeGroups, type KeepMap, prunableGroups, scoreChannels, topChannels } from '../prune/index.js';
import { stageOfNode } from './space/decode.js';
import type { Genome } from './space/genome.js';

const groupKey = (producers: readonly string[]): string => [...producers].sort().join('+');

/** Channels of every group before pruning, by its producers (node names survive channel removal). */
export function originalChannels(graph: Graph): ReadonlyMap<string, number> {
  return new Map(analyzeGroups(graph).groups.map((g) => [groupKey(g.producers), g.channels]));
}

/** Channels to keep per prunable group under the genome's per-stage ratios (L1 norm, one step). */
export function genomeKeep(
  graph: Graph,
  genome: Genome,
  fraction = 1,
  original?: ReadonlyMap<string, number>,
): KeepMap {
  const groups = prunableGroups(analyzeGroups(graph));
  const keep = new Map<number, readonly number[]>();
  if (groups.length === 0) return keep;
  const scores = scoreChannels(graph, groups, 'l1');
  for (const g of groups) {
    const stages = g.producers.map(stageOfNode);
    const ratio = stages.some((s) => s === null)
      ? 0
      : Math.min(...stages.map((s) => genome.stages[s!]?.prune ?? 0));
    const c0 = original?.get(groupKey(g.producers)) ?? g.channels;
    const k = Math.max(1, Math.round((1 - ratio * fraction) * c0));
    if (k < g.channels) keep.set(g.id, topChannels(scores.get(g.id)!, k));
  }
  return keep;
}
