/**
 * The zero-shot search (NSGA-II over ensemble score vs FLOPs under hard constraints), the random-search
 * baseline with the same budget, the final front and the hypervolume subset selection of k models.
 *
 * Hypervolume space: f1 = 1 - ensemble score (rank-aggregated over a reference set of candidates),
 * f2 = log10(FLOPs) / log10(2 * max FLOPs of the reference set); both in [0, 1), reference point (1, 1).
 */
import { Rng } from '../../tensor/rng.js';
import type { ProxyName } from '../proxies/types.js';
import { type Genome, genomeKey } from '../space/genome.js';
import { crossover, mutate, randomGenome } from '../space/sample.js';
import { type Candidate, type CandidateEvaluator, candidateObjectives } from './candidate.js';
import { hypervolume2d, hypervolumeSubset, type Point2 } from './hypervolume.js';
import { nsga2 } from './nsga2.js';
import { paretoFront } from './pareto.js';

export type Strategy = 'zero-shot' | 'random';
export const STRATEGIES: readonly Strategy[] = ['zero-shot', 'random'];

export interface SearchOptions {
  readonly strategy: Strategy;
  /** Distinct candidates evaluated (cost model for all, proxies for the feasible ones). */
  readonly budget: number;
  readonly populationSize?: number;
  readonly seed: number;
  readonly progress?: (evaluated: number, scored: number) => void;
}

export function searchArchive(ev: CandidateEvaluator, o: SearchOptions): Candidate[] {
  if (o.strategy === 'random') {
    const rng = new Rng(o.seed);
    const seen = new Set<string>();
    const out: Candidate[] = [];
    for (let tries = 0; out.length < o.budget && tries < o.budget * 20; tries++) {
      const c = ev.evaluate(randomGenome(rng));
      if (seen.has(c.key)) continue;
      seen.add(c.key);
      out.push(c);
      if (out.length % 50 === 0) o.progress?.(out.length, ev.scored);
    }
    return out;
  }
  const proxies = ev.o.proxies;
  const res = nsga2<Genome, Candidate>(
    {
      random: randomGenome,
      mutate,
      crossover,
      key: genomeKey,
      evaluate: (g) => ev.evaluate(g),
      objectives: (cands) => candidateObjectives(cands, proxies),
    },
    {
      populationSize: o.populationSize ?? 50,
      budget: o.budget,
      seed: o.seed,
      onGeneration: (_g, n) => o.progress?.(n, ev.scored),
    },
  );
  return res.archive.map((i) => i.eval);
}

export interface Front {
  /** Indices into the reference set of the feasible non-dominated candidates. */
  readonly front: number[];
  /** Normalised objective points of every reference-set member (infeasible: null). */
  readonly points: (Point2 | null)[];
  readonly ensemble: number[];
  readonly hypervolume: number;
}

/** Objective points of candidates w.r.t. a reference set (which defines the ranks and the FLOPs scale). */
export function normalise(reference: readonly Candidate[], proxies: readonly ProxyName[]): Front {
  const { ensemble } = candidateObjectives(reference, proxies);
  let maxFlops = 1;
  for (const c of reference) if (c.scores) maxFlops = Math.max(maxFlops, c.cost.flops);
  const scale = Math.log10(2 * maxFlops);
  const points = reference.map((c, i): Point2 | null =>
    c.scores ? [1 - ensemble[i]!, Math.log10(Math.max(1, c.cost.flops)) / scale] : null,
  );
  const feasible = points.map((p, i) => (p ? i : -1)).filter((i) => i >= 0);
  const front = paretoFront(feasible.map((i) => points[i]!)).map((j) => feasible[j]!);
  const hv = hypervolume2d(
    front.map((i) => points[i]!),
    [1, 1],
  );
  return { front, points, ensemble, hypervolume: hv };
}

/** Hypervolume of the front of `subset` (indices into the reference set) in the reference's space. */
export function hypervolumeOf(f: Front, subset: readonly number[]): number {
  const pts = subset.map((i) => f.points[i]).filter((p): p is Point2 => p !== null);
  return hypervolume2d(pts, [1, 1]);
}

/** The k front members whose hypervolume is largest (exact in 2-D). */
export function selectTop(f: Front, k: number): number[] {
  const pts = f.front.map((i) => f.points[i]!);
  return hypervolumeSubset(pts, k, [1, 1]).indices.map((j) => f.front[j]!);
}
