/**
 * The two cost stages of a candidate, cheapest first:
 *
 * 1. `cheapCost` (~0.2 ms): the analytic estimate (estimate.ts) turned into LOWER BOUNDS of the
 *    planner's figures: peak live activations + the profile's runtime RAM <= planner RAM (the greedy
 *    arena never packs tighter than the live set), weights + biases + requantization <= artifact bytes
 *    (the artifact adds headers and records), MACs x the cheapest cycles/MAC <= planner latency. A
 *    candidate this rejects is certainly infeasible (a test checks the bounds on sampled genomes).
 * 2. `plannerCost` (~5-10 ms): the planner itself (plan/): quantized for planning without data
 *    (placeholder ranges), arena plan, artifact size, cycles from the profile table. Its figures are
 *    the ones the constraints and the reports use.
 */
import type { Graph } from '../../graph/types.js';
import { floatToArtifactModel } from '../../plan/from-float.js';
import { planGraphOf } from '../../plan/graph.js';
import type { McuProfile } from '../../plan/profiles.js';
import { planModel } from '../../plan/report.js';
import { NasError } from '../errors.js';
import type { Genome } from '../space/genome.js';
import { macsLatencyMs } from './constraints.js';
import { type CostEstimate, countParams, SimpleCostEstimator } from './estimate.js';

export interface PlannedCost extends CostEstimate {
  readonly latencyMs: number;
  /** True: the planner's figures; false: lower bounds from the analytic estimate. */
  readonly planned: boolean;
}

export function cheapCost(graph: Graph, p: McuProfile, genome: Genome): PlannedCost {
  const perChannel = genomePerChannel(genome);
  const e = SimpleCostEstimator.estimate(graph, { perChannel: () => perChannel });
  return {
    ...e,
    ramBytes: e.ramBytes + p.runtimeRamBytes,
    latencyMs: macsLatencyMs(e.macs, p),
    planned: false,
  };
}

/**
 * The weight granularity of a genome's model: one flag per model (PTQ quantizes a model one way),
 * per-channel when at least half of the stages ask for it, and always for the families with depthwise
 * convolutions (`ds`, `ir`): per-tensor weights lose them tens of points (bench:nas measured 88.5% ->
 * 62.0% on MNIST; the known depthwise failure mode, Krishnamoorthi 2018).
 */
export function genomePerChannel(g: Genome): boolean {
  if (g.family === 'ds' || g.family === 'ir') return true;
  const perChannel = g.stages.filter((s) => s.quant === 'per-channel').length;
  return 2 * perChannel >= g.stages.length;
}

export function plannerCost(graph: Graph, p: McuProfile, perChannel: boolean): PlannedCost {
  let r: ReturnType<typeof planModel>;
  try {
    r = planModel(planGraphOf(floatToArtifactModel(graph, { perChannel })), p);
  } catch (e) {
    throw new NasError('BAD_GENOME', `planning ${graph.name} failed: ${String(e)}`, { cause: e });
  }
  return {
    params: countParams(graph),
    macs: r.macs,
    flops: 2 * r.macs,
    flashBytes: r.flash_bytes,
    ramBytes: r.ram_bytes,
    latencyMs: r.latency_ms,
    planned: true,
  };
}
