/**
 * A candidate of the search: genome -> graph -> cheap cost bounds -> planner -> constraint check ->
 * proxy scores. Each stage runs only if the previous one did not reject the candidate (the cheap
 * bounds cost ~0.2 ms, the planner ~5-10 ms, the proxies tens of ms), so proxies only ever see
 * candidates the planner says fit.
 */
import type { DataSplit } from '../../data/types.js';
import { type Shape, shapeSize } from '../../graph/types.js';
import { Rng } from '../../tensor/rng.js';
import { type Constraints, constraintViolation } from '../cost/constraints.js';
import { cheapCost, genomePerChannel, type PlannedCost, plannerCost } from '../cost/planned.js';
import { ensembleScores } from '../proxies/ensemble.js';
import { scoreGraph } from '../proxies/score.js';
import type { ProxyBatch, ProxyName, ProxyScores } from '../proxies/types.js';
import { decode } from '../space/decode.js';
import { type Genome, genomeKey } from '../space/genome.js';

export interface Candidate {
  readonly genome: Genome;
  readonly key: string;
  /** The planner's figures, or (when the cheap bounds already reject it) the lower bounds. */
  readonly cost: PlannedCost;
  readonly latencyMs: number;
  /** 0 when every constraint holds. */
  readonly violation: number;
  /** Proxy scores (feasible candidates only). */
  readonly scores: ProxyScores | null;
  /** Milliseconds spent on this candidate: cost stages and proxies. */
  readonly ms: { readonly cost: number; readonly proxies: number };
}

export interface EvaluatorOptions {
  readonly inputShape: Shape;
  readonly numClasses: number;
  readonly constraints: Constraints;
  readonly proxies: readonly ProxyName[];
  readonly batch: ProxyBatch;
  /** Weight-init seed of decoded models (0). */
  readonly seed?: number;
}

/** Evaluate one genome in this thread (pure: the same genome and options give the same candidate). */
export function evaluateCandidate(genome: Genome, o: EvaluatorOptions): Candidate {
  const t0 = performance.now();
  const graph = decode(genome, o.inputShape, o.numClasses, { seed: o.seed ?? 0 });
  const profile = o.constraints.profile;
  let cost = cheapCost(graph, profile, genome);
  let violation = constraintViolation(cost, o.constraints);
  if (violation === 0) {
    cost = plannerCost(graph, profile, genomePerChannel(genome));
    violation = constraintViolation(cost, o.constraints);
  }
  const t1 = performance.now();
  const scores = violation === 0 ? scoreGraph(graph, o.batch, o.proxies, { seed: o.seed ?? 0 }) : null;
  const t2 = performance.now();
  return {
    genome,
    key: genomeKey(genome),
    cost,
    latencyMs: cost.latencyMs,
    violation,
    scores,
    ms: { cost: t1 - t0, proxies: t2 - t1 },
  };
}

/** Evaluates many genomes at once (in worker threads, pool.ts) or one at a time in this thread. */
export interface BatchEvaluator {
  evaluateMany(genomes: readonly Genome[]): Promise<Candidate[]>;
}

/** In-thread evaluation with a cache by genome key and counters. */
export class CandidateEvaluator implements BatchEvaluator {
  /** Candidates scored by the proxies so far (cache hits not counted). */
  scored = 0;
  /** Seconds spent in the proxies (summed over threads when a pool evaluates). */
  scoreSeconds = 0;
  private readonly cache = new Map<string, Candidate>();

  constructor(
    readonly o: EvaluatorOptions,
    /** Evaluates cache misses elsewhere (a worker pool); absent: in this thread. */
    private readonly remote?: BatchEvaluator,
  ) {}

  private record(c: Candidate): Candidate {
    this.cache.set(c.key, c);
    if (c.scores) {
      this.scored++;
      this.scoreSeconds += c.ms.proxies / 1000;
    }
    return c;
  }

  evaluate(genome: Genome): Candidate {
    return this.cache.get(genomeKey(genome)) ?? this.record(evaluateCandidate(genome, this.o));
  }

  async evaluateMany(genomes: readonly Genome[]): Promise<Candidate[]> {
    if (!this.remote) return genomes.map((g) => this.evaluate(g));
    const misses = new Map<string, Genome>();
    for (const g of genomes) {
      const k = genomeKey(g);
      if (!this.cache.has(k)) misses.set(k, g);
    }
    const fresh = await this.remote.evaluateMany([...misses.values()]);
    for (const c of fresh) this.record(c);
    return genomes.map((g) => this.cache.get(genomeKey(g))!);
  }
}

/** A seeded proxy batch of `n` distinct samples drawn from a split (duplicates would make NASWOT's K singular). */
export function proxyBatch(
  split: DataSplit,
  inputShape: Shape,
  numClasses: number,
  n: number,
  seed: number,
): ProxyBatch {
  const size = shapeSize(inputShape);
  const count = Math.min(n, split.size);
  const order = new Rng(seed).shuffle(Int32Array.from({ length: split.size }, (_, i) => i));
  const x = new Float32Array(count * size);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const s = split.get(order[i]!);
    x.set(s.x, i * size);
    labels[i] = s.y;
  }
  return { inputShape, numClasses, n: count, x, labels };
}

/**
 * The two minimised objectives of a set of candidates: 1 - ensemble score (rank-aggregated over the
 * feasible members of the set) and log10 FLOPs; infeasible members get [1, log10 FLOPs].
 */
export function candidateObjectives(
  cands: readonly Candidate[],
  proxies: readonly ProxyName[],
  weights?: readonly number[],
): { objectives: number[][]; violation: number[]; ensemble: number[] } {
  const feasible = cands.map((c, i) => (c.scores ? i : -1)).filter((i) => i >= 0);
  const ens = ensembleScores(
    feasible.map((i) => cands[i]!.scores!),
    proxies,
    weights,
  );
  const ensemble = new Array<number>(cands.length).fill(0);
  feasible.forEach((i, j) => {
    ensemble[i] = ens[j]!;
  });
  return {
    objectives: cands.map((c, i) => [1 - ensemble[i]!, Math.log10(Math.max(1, c.cost.flops))]),
    violation: cands.map((c) => (c.scores ? 0 : Math.max(c.violation, 1e-9))),
    ensemble,
  };
}
