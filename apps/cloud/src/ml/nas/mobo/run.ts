/**
 * `runMoboArs`: the training-based multi-objective search (MOBOpt + ARS, RESEARCH.md §5; issue 8 item 3).
 *
 * Latin-hypercube seed of feasible candidates, then per iteration: a random Chebyshev weight vector,
 * a GP on 1 - accuracy of everything trained so far, L ARS policies started at k-means centres of the
 * Pareto front propose one candidate (propose.ts), which is trained. Candidates violating a hard
 * constraint (planner RAM / flash / latency, MACs cap) are rejected before training, never trained.
 * Budget: trained evaluations and optionally seconds. A random-search baseline with the same number of
 * trainings is scored in the same normalised objective space and reference point.
 */
import type { Dataset } from '../../data/types.js';
import { mixSeed, Rng } from '../../tensor/rng.js';
import type { Constraints } from '../cost/constraints.js';
import { NasError } from '../errors.js';
import { paretoFront } from '../search/pareto.js';
import { randomGenome } from '../space/sample.js';
import type { BriefTraining } from '../train.js';
import { chebyshev, randomWeights } from './acquisition.js';
import { type ArsOptions, DEFAULT_ARS } from './ars.js';
import { type Encoding, genomeEncoding, latinHypercube } from './encoding.js';
import { type PlannedCandidate, PlannedSpace, type TrainFn, TrainingCache } from './evaluate.js';
import { hypervolume, kMeans } from './front.js';
import { fitGp, type KernelName } from './gp.js';
import { type PolicyKind, propose } from './propose.js';

export const OBJECTIVES = ['1-accuracy', 'flash', 'ram', 'flops'] as const;
export const REFERENCE_POINT: readonly number[] = [1, 1, 1, 1];

export interface MoboArsOptions {
  readonly data: Dataset;
  /** Hard limits and the planner profile (nas/cost/constraints.ts `constraintsFor`). */
  readonly constraints: Constraints;
  /** Trained evaluations (initial design included). */
  readonly budget: number;
  /** Start no training after this many seconds, except the first (none if absent; baseline excluded). */
  readonly seconds?: number;
  readonly seed: number;
  readonly training: Omit<BriefTraining, 'seed'>;
  /** Latin-hypercube seed size (max(2, budget / 4)). */
  readonly initial?: number;
  /** L local policies (3). */
  readonly policies?: number;
  readonly policy?: PolicyKind;
  /** ARS V2 state normalisation (true); false: V1. */
  readonly normaliseStates?: boolean;
  readonly ars?: Partial<ArsOptions>;
  readonly horizon?: number;
  readonly maxStep?: number;
  /** Augmentation of the Chebyshev scalarisation (0.05). */
  readonly rho?: number;
  readonly kernel?: KernelName;
  /** Quantize weights per channel (true; pinned for every candidate, see encoding.ts). */
  readonly perChannel?: boolean;
  /** Also run the random baseline with the same number of trainings (true). */
  readonly baseline?: boolean;
  readonly progress?: (p: MoboProgress) => void;
  /** Training function (nas/train.ts `trainBriefly`); tests wrap it. */
  readonly train?: TrainFn;
}

export interface MoboProgress {
  readonly phase: 'mobo' | 'random';
  readonly iteration: number;
  readonly evaluated: number;
  readonly budget: number;
  readonly bestAccuracy: number;
  readonly frontSize: number;
  readonly hypervolume: number;
}

export type Source = 'initial' | 'ars' | 'fallback' | 'random';

export interface MoboEvaluation {
  readonly candidate: PlannedCandidate;
  readonly accuracy: number;
  /** Normalised minimised objectives, in OBJECTIVES order. */
  readonly objectives: readonly number[];
  readonly trainSeconds: number;
  readonly source: Source;
  readonly iteration: number;
  readonly acquisition?: number;
}

export interface SearchOutcome {
  readonly evaluated: MoboEvaluation[];
  readonly front: MoboEvaluation[];
  readonly hypervolume: number;
  /** Sampled candidates (initial design, random draws) rejected by a hard constraint before training. */
  readonly rejected: number;
  readonly seconds: number;
}

export interface MoboArsResult extends SearchOutcome {
  readonly iterations: number;
  /** Distinct genomes the planner evaluated (ARS rollouts included). */
  readonly planned: number;
  readonly baseline: SearchOutcome | null;
}

/** Front and hypervolume of a set of trained evaluations. */
export function frontOf(evaluated: readonly MoboEvaluation[]): {
  front: MoboEvaluation[];
  hypervolume: number;
} {
  const objs = evaluated.map((e) => e.objectives);
  const front = paretoFront(objs).map((i) => evaluated[i]!);
  return { front, hypervolume: hypervolume(objs, REFERENCE_POINT) };
}

class Recorder {
  readonly evaluated: MoboEvaluation[] = [];
  readonly keys = new Set<string>();
  rejected = 0;
  readonly t0 = performance.now();

  constructor(
    private readonly cache: TrainingCache,
    private readonly o: MoboArsOptions,
    private readonly phase: MoboProgress['phase'],
  ) {}

  elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** Plan-checked admission: false (and counted) when infeasible, false when already trained. */
  admits(c: PlannedCandidate): boolean {
    if (this.keys.has(c.key)) return false;
    if (c.violation > 0) this.rejected++;
    return c.violation === 0;
  }

  async add(c: PlannedCandidate, source: Source, iteration: number, acquisition?: number): Promise<void> {
    const t = await this.cache.train(c);
    this.keys.add(c.key);
    this.evaluated.push({
      candidate: c,
      accuracy: t.accuracy,
      objectives: [1 - t.accuracy, ...c.cheap],
      trainSeconds: t.seconds,
      source,
      iteration,
      ...(acquisition !== undefined ? { acquisition } : {}),
    });
    const f = frontOf(this.evaluated);
    this.o.progress?.({
      phase: this.phase,
      iteration,
      evaluated: this.evaluated.length,
      budget: this.o.budget,
      bestAccuracy: Math.max(...this.evaluated.map((e) => e.accuracy)),
      frontSize: f.front.length,
      hypervolume: f.hypervolume,
    });
  }

  outcome(): SearchOutcome {
    return {
      evaluated: this.evaluated,
      ...frontOf(this.evaluated),
      rejected: this.rejected,
      seconds: this.elapsed(),
    };
  }
}

export async function runMoboArs(o: MoboArsOptions): Promise<MoboArsResult> {
  if (!Number.isInteger(o.budget) || o.budget < 2)
    throw new NasError('BAD_OPTIONS', 'budget must be >= 2 trainings');
  const perChannel = o.perChannel ?? true;
  const space = new PlannedSpace({
    inputShape: o.data.inputShape,
    numClasses: o.data.numClasses,
    constraints: o.constraints,
    seed: o.seed,
  });
  const enc = genomeEncoding(o.data.inputShape, { perChannel });
  const cache = new TrainingCache(space, o.data, { ...o.training, seed: o.seed }, o.train);
  const rng = new Rng(o.seed);
  const rec = new Recorder(cache, o, 'mobo');
  // the first training always runs, so a result is never empty
  const timeLeft = (): boolean =>
    o.seconds === undefined || rec.evaluated.length === 0 || rec.elapsed() < o.seconds;
  const randomFeasible = (): PlannedCandidate | null => {
    for (let tries = 0; tries < 2000; tries++) {
      const c = space.plan(enc.decode(Array.from({ length: enc.dims }, () => rng.next())));
      if (rec.admits(c)) return c;
    }
    return null;
  };

  const n0 = Math.min(o.budget, o.initial ?? Math.max(2, Math.round(o.budget / 4)));
  for (let round = 0; round < 50 && rec.evaluated.length < n0 && timeLeft(); round++)
    for (const x of latinHypercube(rng, n0, enc.dims)) {
      const c = space.plan(enc.decode(x));
      if (rec.evaluated.length < n0 && rec.admits(c) && timeLeft()) await rec.add(c, 'initial', 0);
    }
  if (rec.evaluated.length === 0)
    throw new NasError('NO_FEASIBLE', 'no feasible candidate in the initial design');

  const rho = o.rho ?? 0.05;
  const nPolicies = o.policies ?? 3;
  const arsOptions = { ...DEFAULT_ARS, ...o.ars };
  let iteration = 0;
  while (rec.evaluated.length < o.budget && timeLeft()) {
    iteration++;
    const weights = randomWeights(rng, OBJECTIVES.length);
    const xs = rec.evaluated.map((e) => enc.encode(e.candidate.genome));
    const gp = fitGp(
      xs,
      rec.evaluated.map((e) => e.objectives[0]!),
      o.kernel ? { kernel: o.kernel } : {},
    );
    const best = Math.min(...rec.evaluated.map((e) => chebyshev(e.objectives, weights, rho)));
    const front = paretoFront(rec.evaluated.map((e) => e.objectives)).map((i) => xs[i]!);
    const starts = kMeans(rng, front, nPolicies);
    while (starts.length < nPolicies) starts.push([...xs[rng.int(xs.length)]!]);
    const p = propose(
      {
        encoding: enc,
        space,
        gp,
        weights,
        rho,
        best,
        trained: rec.keys,
        starts,
        policy: o.policy ?? 'linear',
        normaliseStates: o.normaliseStates ?? true,
        ars: arsOptions,
        horizon: o.horizon ?? 3,
        maxStep: o.maxStep ?? 0.15,
      },
      rng,
    );
    if (p && rec.admits(p.candidate)) await rec.add(p.candidate, 'ars', iteration, p.acquisition);
    else {
      const c = randomFeasible();
      if (!c) break;
      await rec.add(c, 'fallback', iteration);
    }
  }
  const main = rec.outcome();
  const baseline =
    o.baseline === false ? null : await randomBaseline(o, space, cache, enc, main.evaluated.length);
  return { ...main, iterations: iteration, planned: space.planned, baseline };
}

/** Random search (nas/space/sample.ts genomes, compression genes pinned) with `trainings` trainings. */
async function randomBaseline(
  o: MoboArsOptions,
  space: PlannedSpace,
  cache: TrainingCache,
  enc: Encoding,
  trainings: number,
): Promise<SearchOutcome> {
  const rng = new Rng(mixSeed(o.seed, 0x7a4d));
  const rec = new Recorder(cache, o, 'random');
  for (let tries = 0; rec.evaluated.length < trainings && tries < trainings * 500; tries++) {
    const c = space.plan(enc.canonical(randomGenome(rng)));
    if (rec.admits(c)) await rec.add(c, 'random', rec.evaluated.length + 1);
  }
  return rec.outcome();
}
