/**
 * NSGA-II (Deb et al. 2002): binary tournaments on (front rank, crowding distance), crossover and
 * mutation, elitist (mu + lambda) survival by non-dominated sorting with constrained domination.
 * Generic over the individual type. Objectives are computed per population by `objectives`, so they
 * may be relative to it (rank-aggregated proxy scores are); the expensive `evaluate` runs once per
 * distinct individual (by `key`), a whole generation at a time (so it may run them in parallel).
 * The budget counts distinct evaluations.
 */
import { Rng } from '../../tensor/rng.js';
import { NasError } from '../errors.js';
import { crowdingDistance, nonDominatedSort } from './pareto.js';

export interface Nsga2Problem<T, E> {
  random(rng: Rng): T;
  mutate(rng: Rng, x: T): T;
  crossover(rng: Rng, a: T, b: T): T;
  key(x: T): string;
  /** Evaluations of distinct new individuals, in order (sync or async). */
  evaluate(xs: readonly T[]): readonly E[] | Promise<readonly E[]>;
  /** Minimised objectives and constraint violations (0 = feasible) of a population of evaluations. */
  objectives(evals: readonly E[]): { objectives: number[][]; violation: number[] };
}

export interface Nsga2Options {
  readonly populationSize: number;
  /** Distinct evaluations allowed (including the initial population). */
  readonly budget: number;
  readonly seed: number;
  readonly crossoverRate?: number;
  readonly onGeneration?: (generation: number, evaluated: number) => void;
}

export interface Individual<T, E> {
  readonly x: T;
  readonly key: string;
  readonly eval: E;
}

export interface Nsga2Result<T, E> {
  /** The final population. */
  readonly population: Individual<T, E>[];
  /** Every distinct individual evaluated, in order. */
  readonly archive: Individual<T, E>[];
  readonly generations: number;
}

interface Ranked {
  readonly rank: number;
  readonly crowding: number;
}

function rankPopulation<T, E>(pop: readonly Individual<T, E>[], p: Nsga2Problem<T, E>): Ranked[] {
  const { objectives, violation } = p.objectives(pop.map((i) => i.eval));
  const out: Ranked[] = new Array(pop.length);
  nonDominatedSort(objectives, violation).forEach((front, rank) => {
    const cd = crowdingDistance(objectives, front);
    for (const i of front) out[i] = { rank, crowding: cd.get(i)! };
  });
  return out;
}

function better(a: Ranked, b: Ranked): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.crowding > b.crowding);
}

export async function nsga2<T, E>(p: Nsga2Problem<T, E>, o: Nsga2Options): Promise<Nsga2Result<T, E>> {
  if (o.populationSize < 2 || o.budget < o.populationSize)
    throw new NasError('BAD_OPTIONS', 'populationSize must be >= 2 and budget >= populationSize');
  const rng = new Rng(o.seed);
  const archive: Individual<T, E>[] = [];
  const seen = new Set<string>();
  /** Up to `want` individuals with unseen keys (20 tries each), evaluated together. */
  const fresh = async (want: number, make: () => T): Promise<Individual<T, E>[]> => {
    const xs: T[] = [];
    const keys: string[] = [];
    for (let stalls = 0; xs.length < want && stalls < 20; ) {
      const x = make();
      const key = p.key(x);
      if (seen.has(key)) {
        stalls++;
        continue;
      }
      stalls = 0;
      seen.add(key);
      xs.push(x);
      keys.push(key);
    }
    const evals = await p.evaluate(xs);
    const out = xs.map((x, i) => ({ x, key: keys[i]!, eval: evals[i]! }));
    archive.push(...out);
    return out;
  };
  let pop = await fresh(o.populationSize, () => p.random(rng));
  let generation = 0;
  o.onGeneration?.(generation, archive.length);
  const cx = o.crossoverRate ?? 0.9;
  while (archive.length < o.budget) {
    const ranked = rankPopulation(pop, p);
    const tournament = (): Individual<T, E> => {
      const a = rng.int(pop.length);
      const b = rng.int(pop.length);
      return better(ranked[a]!, ranked[b]!) ? pop[a]! : pop[b]!;
    };
    const children = await fresh(Math.min(o.populationSize, o.budget - archive.length), () => {
      const a = tournament();
      const base = rng.next() < cx ? p.crossover(rng, a.x, tournament().x) : a.x;
      return p.mutate(rng, base);
    });
    if (children.length === 0) break;
    const union = [...pop, ...children];
    const r = rankPopulation(union, p);
    const order = union
      .map((_, i) => i)
      .sort((a, b) => r[a]!.rank - r[b]!.rank || r[b]!.crowding - r[a]!.crowding);
    pop = order.slice(0, o.populationSize).map((i) => union[i]!);
    generation++;
    o.onGeneration?.(generation, archive.length);
  }
  return { population: pop, archive, generations: generation };
}
