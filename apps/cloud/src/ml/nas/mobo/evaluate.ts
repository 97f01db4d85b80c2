/**
 * The two evaluations of a MOBO candidate.
 *
 * - `PlannedSpace.plan` (milliseconds, memoised by genome key): decode, the cheap lower bounds then the
 *   planner (nas/cost/planned.ts) on the constraints' MCU profile: flash (artifact bytes), RAM (arena +
 *   runtime), MACs and latency; hard constraints checked against the planner's figures. Infeasible
 *   genomes may carry the lower bounds instead (they are never trained).
 * - `TrainingCache.train` (seconds): brief training of a feasible candidate (nas/train.ts), memoised by
 *   genome key so the random baseline reuses what MOBO already trained (training is seeded).
 *
 * Normalised minimised objectives: [1 - accuracy, flash / flash limit, RAM / RAM limit,
 * FLOPs / (2 x MACs limit)]; every feasible candidate lies in [0, 1]^4, so (1, 1, 1, 1) is the
 * hypervolume reference point.
 */
import type { Dataset } from '../../data/types.js';
import type { Graph } from '../../graph/types.js';
import { type Constraints, constraintViolation } from '../cost/constraints.js';
import { cheapCost, genomePerChannel, plannerCost } from '../cost/planned.js';
import { NasError } from '../errors.js';
import { decode } from '../space/decode.js';
import { type Genome, genomeKey } from '../space/genome.js';
import { type BriefTraining, type TrainedResult, trainBriefly } from '../train.js';

export interface PlannedCandidate {
  readonly genome: Genome;
  readonly key: string;
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
  readonly flashBytes: number;
  readonly ramBytes: number;
  readonly latencyMs: number;
  /** Relative excess over the limits (0: feasible). */
  readonly violation: number;
  /** Normalised exact objectives [flash, RAM, FLOPs]. */
  readonly cheap: readonly [number, number, number];
}

export interface SpaceOptions {
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** Limits and the planner profile (`constraints.profile`). */
  readonly constraints: Constraints;
  /** Weight-init seed of decoded models. */
  readonly seed: number;
}

export class PlannedSpace {
  private readonly cache = new Map<string, PlannedCandidate>();

  constructor(readonly o: SpaceOptions) {}

  get planned(): number {
    return this.cache.size;
  }

  graph(g: Genome): Graph {
    return decode(g, this.o.inputShape, this.o.numClasses, { seed: this.o.seed });
  }

  plan(genome: Genome): PlannedCandidate {
    const key = genomeKey(genome);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const c = this.o.constraints;
    const graph = this.graph(genome);
    // the cheap lower bounds reject most infeasible genomes without running the planner
    let cost = cheapCost(graph, c.profile, genome);
    let violation = constraintViolation(cost, c);
    if (violation === 0) {
      cost = plannerCost(graph, c.profile, genomePerChannel(genome));
      violation = constraintViolation(cost, c);
    }
    const planned: PlannedCandidate = {
      genome,
      key,
      params: cost.params,
      macs: cost.macs,
      flops: cost.flops,
      flashBytes: cost.flashBytes,
      ramBytes: cost.ramBytes,
      latencyMs: cost.latencyMs,
      violation,
      cheap: [cost.flashBytes / c.flashBytes, cost.ramBytes / c.ramBytes, cost.flops / (2 * c.maxMacs)],
    };
    this.cache.set(key, planned);
    return planned;
  }
}

export type TrainFn = (graph: Graph, data: Dataset, o: BriefTraining) => Promise<TrainedResult>;

export interface Trained {
  readonly accuracy: number;
  readonly seconds: number;
}

/** Seeded brief training of feasible candidates, memoised by genome key. */
export class TrainingCache {
  private readonly cache = new Map<string, Trained>();
  /** Trainings actually run (cache misses). */
  runs = 0;
  seconds = 0;

  constructor(
    private readonly space: PlannedSpace,
    private readonly data: Dataset,
    private readonly training: BriefTraining,
    private readonly trainFn: TrainFn = trainBriefly,
  ) {}

  async train(c: PlannedCandidate): Promise<Trained> {
    if (c.violation > 0) throw new NasError('BAD_OPTIONS', `refusing to train infeasible candidate ${c.key}`);
    const hit = this.cache.get(c.key);
    if (hit) return hit;
    const r = await this.trainFn(this.space.graph(c.genome), this.data, this.training);
    const t = { accuracy: r.testAccuracy, seconds: r.seconds };
    this.runs++;
    this.seconds += r.seconds;
    this.cache.set(c.key, t);
    return t;
  }
}
