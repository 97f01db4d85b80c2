/**
 * Channel importance criteria (RESEARCH.md §2). Each returns, per prunable group, one score per channel;
 * higher means more important (pruning removes the lowest). In a residual group the producers' scores
 * are summed.
 *
 * - `l1` / `l2`: mean |w| / root-mean-square of each producer filter.
 * - `grad`: first-order Taylor |w · ∂L/∂w| summed over the filter and over a data sample.
 * - `apoz`: 1 − APoZ, the fraction of non-zero post-ReLU activations of the channel over a data sample
 *   (groups without a ReLU, e.g. the linear projections of an inverted-residual block, fall back to the
 *   mean |activation| of the group's first value; documented in README of this folder).
 * - `random`: seeded uniform scores (the baseline).
 */
import type { DataSplit } from '../data/types.js';
import { Plan } from '../engine/plan.js';
import type { Graph } from '../graph/types.js';
import { mixSeed, Rng } from '../tensor/rng.js';
import { gather } from '../train/batches.js';
import { softmaxCrossEntropy } from '../train/loss.js';
import { PruneError } from './errors.js';
import type { ChannelGroup } from './groups.js';

export type Criterion = 'l1' | 'l2' | 'grad' | 'apoz' | 'random';
export const CRITERIA: readonly Criterion[] = ['l1', 'l2', 'grad', 'apoz', 'random'];

/** A data sample for the data-driven criteria. */
export interface ScoreData {
  readonly split: DataSplit;
  readonly numClasses: number;
  /** Samples to use (default 512; fewer if the split is smaller). */
  readonly samples?: number;
  readonly batch?: number;
}

export interface ScoreOptions {
  readonly data?: ScoreData;
  readonly seed?: number;
}

export type Scores = Map<number, Float64Array>;

function weightOf(graph: Graph, producer: string): Float32Array {
  const node = graph.nodes.find((n) => n.name === producer)!;
  return graph.params[node.params.weight!]!.data;
}

/** Per-filter reduction of the producers' weights (output channel = last axis). */
function weightScores(graph: Graph, groups: readonly ChannelGroup[], kind: 'l1' | 'l2'): Scores {
  const out: Scores = new Map();
  for (const g of groups) {
    const s = new Float64Array(g.channels);
    for (const p of g.producers) {
      const w = weightOf(graph, p);
      const acc = new Float64Array(g.channels);
      for (let i = 0; i < w.length; i++) acc[i % g.channels]! += kind === 'l1' ? Math.abs(w[i]!) : w[i]! ** 2;
      const per = w.length / g.channels;
      for (let c = 0; c < g.channels; c++) s[c]! += kind === 'l1' ? acc[c]! / per : Math.sqrt(acc[c]! / per);
    }
    out.set(g.id, s);
  }
  return out;
}

function sampleIndices(data: ScoreData, seed: number): Int32Array {
  const n = Math.min(data.samples ?? 512, data.split.size);
  if (n < 1) throw new PruneError('BAD_DATA', 'the data sample for scoring is empty');
  const all = new Rng(mixSeed(seed, 0x5c0e)).shuffle(
    Int32Array.from({ length: data.split.size }, (_, i) => i),
  );
  return all.slice(0, n);
}

function requireData(o: ScoreOptions, criterion: Criterion): ScoreData {
  if (!o.data) throw new PruneError('BAD_DATA', `criterion "${criterion}" needs a data sample`);
  return o.data;
}

/** Taylor |w · g| per filter, summed over the batches of the sample (gradients of the mean loss). */
function gradScores(graph: Graph, groups: readonly ChannelGroup[], data: ScoreData, seed: number): Scores {
  const idx = sampleIndices(data, seed);
  const batch = Math.min(data.batch ?? 64, idx.length);
  const plan = new Plan(graph, { batch, training: true, seed });
  const labels = new Int32Array(batch);
  const out: Scores = new Map(groups.map((g) => [g.id, new Float64Array(g.channels)]));
  const weights = groups.flatMap((g) =>
    g.producers.map((p) => {
      const node = graph.nodes.find((n) => n.name === p)!;
      return { g, slot: plan.slot(node.params.weight!) };
    }),
  );
  for (let from = 0, step = 0; from < idx.length; step++) {
    const n = gather(plan, data.split, idx, from, labels, data.numClasses);
    plan.forward(n, true, step);
    const dLogits = plan.grad(plan.logits);
    if (!dLogits) throw new PruneError('BAD_DATA', 'the loss does not depend on the parameters');
    softmaxCrossEntropy(plan.act(plan.logits).f32, labels, n, data.numClasses, dLogits.f32);
    plan.backward(n);
    for (const { g, slot } of weights) {
      const w = plan.params.f32.subarray(slot.offset, slot.offset + slot.length);
      const gr = plan.grads.f32.subarray(slot.offset, slot.offset + slot.length);
      const s = out.get(g.id)!;
      for (let i = 0; i < w.length; i++) s[i % g.channels]! += Math.abs(w[i]! * gr[i]!);
    }
    from += n;
  }
  return out;
}

/** 1 − APoZ of each channel's post-ReLU activation (mean |x| where the group has no ReLU). */
function apozScores(graph: Graph, groups: readonly ChannelGroup[], data: ScoreData, seed: number): Scores {
  const idx = sampleIndices(data, seed);
  const batch = Math.min(data.batch ?? 64, idx.length);
  const plan = new Plan(graph, { batch, training: false });
  const labels = new Int32Array(batch);
  const nonzero = new Map(groups.map((g) => [g.id, new Float64Array(g.channels)]));
  const counts = new Map(groups.map((g) => [g.id, 0]));
  for (let from = 0; from < idx.length; ) {
    const n = gather(plan, data.split, idx, from, labels, data.numClasses);
    plan.forward(n, false);
    for (const g of groups) {
      const value = g.activation ?? g.values[0]!;
      const shape = plan.shapes.get(value)!;
      const size = shape.reduce((p, d) => p * d, 1) * n;
      const x = plan.act(value).f32;
      const acc = nonzero.get(g.id)!;
      const useRelu = g.activation !== undefined;
      for (let i = 0; i < size; i++) acc[i % g.channels]! += useRelu ? (x[i]! > 0 ? 1 : 0) : Math.abs(x[i]!);
      counts.set(g.id, counts.get(g.id)! + size / g.channels);
    }
    from += n;
  }
  const out: Scores = new Map();
  for (const g of groups) {
    const acc = nonzero.get(g.id)!;
    const c = counts.get(g.id)!;
    out.set(
      g.id,
      acc.map((v) => v / c),
    );
  }
  return out;
}

/** Scores of every channel of `groups` under `criterion` (higher = keep). */
export function scoreChannels(
  graph: Graph,
  groups: readonly ChannelGroup[],
  criterion: Criterion,
  o: ScoreOptions = {},
): Scores {
  const seed = o.seed ?? 0;
  switch (criterion) {
    case 'l1':
    case 'l2':
      return weightScores(graph, groups, criterion);
    case 'grad':
      return gradScores(graph, groups, requireData(o, criterion), seed);
    case 'apoz':
      return apozScores(graph, groups, requireData(o, criterion), seed);
    case 'random': {
      const out: Scores = new Map();
      for (const g of groups) {
        const rng = new Rng(mixSeed(seed, 0x7a3d + g.id));
        out.set(
          g.id,
          Float64Array.from({ length: g.channels }, () => rng.next()),
        );
      }
      return out;
    }
  }
}
