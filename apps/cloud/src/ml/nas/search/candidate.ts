/**
 * A candidate of the search: genome -> graph -> cost estimate -> constraint check -> proxy scores
 * (only feasible candidates are scored: the cost model is orders of magnitude cheaper than the proxies).
 */
import type { DataSplit } from '../../data/types.js';
import { type Shape, shapeSize } from '../../graph/types.js';
import { Rng } from '../../tensor/rng.js';
import { type Constraints, constraintViolation, estimateLatencyMs } from '../cost/constraints.js';
import { type CostEstimate, type CostEstimator, SimpleCostEstimator } from '../cost/estimate.js';
import { ensembleScores } from '../proxies/ensemble.js';
import { scoreGraph } from '../proxies/score.js';
import type { ProxyBatch, ProxyName, ProxyScores } from '../proxies/types.js';
import { decode, stageOfNode } from '../space/decode.js';
import { type Genome, genomeKey } from '../space/genome.js';

export interface Candidate {
  readonly genome: Genome;
  readonly key: string;
  readonly cost: CostEstimate;
  readonly latencyMs: number;
  /** 0 when every constraint holds. */
  readonly violation: number;
  /** Proxy scores (feasible candidates only). */
  readonly scores: ProxyScores | null;
}

export interface EvaluatorOptions {
  readonly inputShape: Shape;
  readonly numClasses: number;
  readonly constraints: Constraints;
  readonly proxies: readonly ProxyName[];
  readonly batch: ProxyBatch;
  readonly estimator?: CostEstimator;
  /** Weight-init seed of decoded models (0). */
  readonly seed?: number;
}

export class CandidateEvaluator {
  /** Candidates scored by the proxies so far. */
  scored = 0;
  scoreSeconds = 0;

  constructor(readonly o: EvaluatorOptions) {}

  evaluate(genome: Genome): Candidate {
    const { o } = this;
    const graph = decode(genome, o.inputShape, o.numClasses, { seed: o.seed ?? 0 });
    const cost = (o.estimator ?? SimpleCostEstimator).estimate(graph, {
      perChannel: (node) => {
        const s = stageOfNode(node);
        return s === null || genome.stages[s]?.quant !== 'per-tensor';
      },
    });
    const violation = constraintViolation(cost, o.constraints);
    let scores: ProxyScores | null = null;
    if (violation === 0) {
      const t0 = performance.now();
      scores = scoreGraph(graph, o.batch, o.proxies, { seed: o.seed ?? 0 });
      this.scoreSeconds += (performance.now() - t0) / 1000;
      this.scored++;
    }
    return {
      genome,
      key: genomeKey(genome),
      cost,
      latencyMs: estimateLatencyMs(cost.macs, o.constraints),
      violation,
      scores,
    };
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
): { objectives: number[][]; violation: number[]; ensemble: number[] } {
  const feasible = cands.map((c, i) => (c.scores ? i : -1)).filter((i) => i >= 0);
  const ens = ensembleScores(
    feasible.map((i) => cands[i]!.scores!),
    proxies,
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
