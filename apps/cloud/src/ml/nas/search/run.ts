/**
 * The zero-shot search (NSGA-II over ensemble score vs FLOPs under hard constraints), the random-search
 * baseline with the same budget, the final front and the hypervolume subset selection of k models.
 *
 * Hypervolume space: f1 = 1 - ensemble score (rank-aggregated over a reference set of candidates),
 * f2 = log FLOPs min-max normalised over the set; both in [0, 1]; reference point `HV_REFERENCE`.
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
  /**
   * Random search only: stop once this many candidates were scored (feasible), instead of after
   * `budget` evaluations; the archive is cut right after the candidate that reached it. Used to
   * compare with another search at the same number of scored candidates.
   */
  readonly scoredTarget?: number;
  /** Ensemble members and weights of the objective (default: the evaluator's proxies, equal weights). */
  readonly ensemble?: { readonly proxies: readonly ProxyName[]; readonly weights?: readonly number[] };
  readonly populationSize?: number;
  readonly seed: number;
  readonly progress?: (evaluated: number, scored: number) => void;
}

const CHUNK = 50;

async function randomArchive(ev: CandidateEvaluator, o: SearchOptions): Promise<Candidate[]> {
  const rng = new Rng(o.seed);
  const seen = new Set<string>();
  const out: Candidate[] = [];
  let scored = 0;
  const target = o.scoredTarget;
  const done = (): boolean => (target !== undefined ? scored >= target : out.length >= o.budget);
  for (let stalls = 0; !done() && stalls < 20; ) {
    const want = target !== undefined ? CHUNK : Math.min(CHUNK, o.budget - out.length);
    const batch: Genome[] = [];
    for (let tries = 0; batch.length < want && tries < want * 20; tries++) {
      const g = randomGenome(rng);
      const k = genomeKey(g);
      if (seen.has(k)) continue;
      seen.add(k);
      batch.push(g);
    }
    stalls = batch.length === 0 ? stalls + 1 : 0;
    for (const c of await ev.evaluateMany(batch)) {
      if (done()) break;
      out.push(c);
      if (c.scores) scored++;
    }
    o.progress?.(out.length, scored);
  }
  return out;
}

export async function searchArchive(ev: CandidateEvaluator, o: SearchOptions): Promise<Candidate[]> {
  if (o.strategy === 'random') return randomArchive(ev, o);
  const ens = o.ensemble ?? { proxies: ev.o.proxies };
  const res = await nsga2<Genome, Candidate>(
    {
      random: randomGenome,
      mutate,
      crossover,
      key: genomeKey,
      evaluate: (gs) => ev.evaluateMany(gs),
      objectives: (cands) => candidateObjectives(cands, ens.proxies, ens.weights),
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

/**
 * Reference point of every hypervolume here: 1.25 in both normalised objectives, i.e. 1 + 1/H for
 * k = 5 points (H = k - 1), the choice Ishibuchi et al. (2017) recommend so that the extreme points
 * of a front contribute (with (1, 1), the most accurate and largest models sit on the reference
 * point's edge and subset selection never picks them).
 */
export const HV_REFERENCE: Point2 = [1.25, 1.25];

export interface Front {
  /** Indices into the reference set of the feasible non-dominated candidates. */
  readonly front: number[];
  /** Normalised objective points of every reference-set member (infeasible: null). */
  readonly points: (Point2 | null)[];
  readonly ensemble: number[];
  readonly hypervolume: number;
}

/**
 * Objective points of candidates w.r.t. a reference set, which defines the ranks and the FLOPs scale:
 * f1 = 1 - ensemble score (rank over the set's feasible members, in [0, 1]), f2 = log FLOPs min-max
 * normalised over them (in [0, 1]).
 */
export function normalise(
  reference: readonly Candidate[],
  proxies: readonly ProxyName[],
  weights?: readonly number[],
): Front {
  const { ensemble } = candidateObjectives(reference, proxies, weights);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const logF = (c: Candidate): number => Math.log10(Math.max(1, c.cost.flops));
  for (const c of reference)
    if (c.scores) {
      lo = Math.min(lo, logF(c));
      hi = Math.max(hi, logF(c));
    }
  const span = hi > lo ? hi - lo : 1;
  const points = reference.map((c, i): Point2 | null =>
    c.scores ? [1 - ensemble[i]!, (logF(c) - lo) / span] : null,
  );
  const feasible = points.map((p, i) => (p ? i : -1)).filter((i) => i >= 0);
  const front = paretoFront(feasible.map((i) => points[i]!)).map((j) => feasible[j]!);
  const hv = hypervolume2d(
    front.map((i) => points[i]!),
    HV_REFERENCE,
  );
  return { front, points, ensemble, hypervolume: hv };
}

/** Hypervolume of the front of `subset` (indices into the reference set) in the reference's space. */
export function hypervolumeOf(f: Front, subset: readonly number[]): number {
  const pts = subset.map((i) => f.points[i]).filter((p): p is Point2 => p !== null);
  return hypervolume2d(pts, HV_REFERENCE);
}

/** The k front members whose hypervolume is largest (exact in 2-D). */
export function selectTop(f: Front, k: number): number[] {
  const pts = f.front.map((i) => f.points[i]!);
  return hypervolumeSubset(pts, k, HV_REFERENCE).indices.map((j) => f.front[j]!);
}
