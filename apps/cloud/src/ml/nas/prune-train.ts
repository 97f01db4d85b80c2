/**
 * Training with the genome's pruning genes applied gradually (AGP, Zhu & Gupta 2017; RESEARCH.md §2):
 * one seeded SGD run with one cosine schedule over all epochs, during which every prunable channel group
 * is cut `steps` times towards its stage's ratio (final.ts `genomeKeep`), at evenly spaced points between
 * `from` and `to` (fractions of all training steps); after step t of n a group keeps
 * round((1 - ratio * f_t) * C) of its original C channels, f_t = 1 - (1 - t/n)^3 (large cuts first).
 * Each cut is physical (prune/surgery.ts): the rest of the training runs on the smaller graph, with
 * the learning rate the schedule has reached and fresh momentum, so the pruned model gets the
 * remaining epochs to recover, and they cost less than the unpruned ones.
 *
 * Without pruning genes this is the same run as train.ts (same order, schedule and optimizer).
 */
import type { DataSplit, Dataset } from '../data/types.js';
import type { Graph } from '../graph/types.js';
import { analyzeGroups, countParams, removeChannels } from '../prune/index.js';
import { mixSeed, Rng } from '../tensor/rng.js';
import { createOptimizerState, defaultOptimizerConfig, optimizerStep } from '../train/optim.js';
import { TrainStep } from '../train/parallel/step.js';
import { defaultSchedule, learningRate } from '../train/schedule.js';
import { evaluateGraph } from '../train/trainer.js';
import { NasError } from './errors.js';
import { genomeKeep, originalChannels } from './prune-genes.js';
import type { Genome } from './space/genome.js';
import type { BriefTraining } from './train.js';

export interface GradualPruning {
  /** Pruning steps (4). */
  readonly steps: number;
  /** First and last pruning points as fractions of all training steps (0.1 and 0.4). */
  readonly from: number;
  readonly to: number;
}

export const DEFAULT_GRADUAL: GradualPruning = { steps: 4, from: 0.1, to: 0.4 };

export interface PrunedTraining {
  readonly graph: Graph;
  readonly testAccuracy: number;
  readonly seconds: number;
  /** Parameters of the decoded (unpruned) model. */
  readonly paramsBefore: number;
  /** Whether any channel was removed. */
  readonly pruned: boolean;
}

/** Training steps (0-based: a cut happens before step p) at which the n pruning steps happen. */
export function pruningPoints(total: number, g: GradualPruning): number[] {
  if (!(Number.isInteger(g.steps) && g.steps >= 1 && g.from > 0 && g.from <= g.to && g.to <= 1)) {
    throw new NasError('BAD_OPTIONS', `gradual pruning needs steps >= 1 and 0 < from <= to <= 1`);
  }
  return Array.from({ length: g.steps }, (_, i) => {
    const f = g.steps === 1 ? g.to : g.from + ((g.to - g.from) * i) / (g.steps - 1);
    return Math.min(total, Math.max(1, Math.round(f * total)));
  });
}

function trainSplit(data: Dataset, limit: number | undefined): DataSplit {
  return limit !== undefined && limit < data.train.size
    ? { size: limit, get: data.train.get.bind(data.train) }
    : data.train;
}

export async function trainPruned(
  graph: Graph,
  genome: Genome,
  data: Dataset,
  o: BriefTraining & { readonly gradual?: GradualPruning; readonly log?: (s: string) => void },
): Promise<PrunedTraining> {
  const t0 = performance.now();
  const train = trainSplit(data, o.limit);
  const batch = o.batch ?? 64;
  const stepsPerEpoch = Math.ceil(train.size / batch);
  const total = stepsPerEpoch * o.epochs;
  const gradual = o.gradual ?? DEFAULT_GRADUAL;
  const wantsPruning = genome.stages.some((s) => s.prune > 0);
  const points = wantsPruning ? pruningPoints(total, gradual) : [];
  const original = originalChannels(graph);
  const schedule = defaultSchedule('cosine', o.lr ?? 0.05);
  const optimizer = defaultOptimizerConfig(o.optimizer ?? 'sgd', { weightDecay: o.weightDecay ?? 0 });
  const paramsBefore = countParams(graph);
  let g = graph;
  let pruned = false;
  const start = async (from: Graph) => {
    const { step } = await TrainStep.create(from, {
      batch,
      seed: o.seed,
      threads: o.threads,
      numClasses: data.numClasses,
    });
    const decay = new Uint8Array(step.plan.params.length);
    for (const s of step.plan.slots) if (s.trainable && s.decay) decay.fill(1, s.offset, s.offset + s.length);
    return { step, decay, opt: createOptimizerState(optimizer, step.plan.params.length) };
  };
  let cur = await start(g);
  try {
    let t = 0;
    let next = 0;
    for (let e = 0; e < o.epochs; e++) {
      // the trainer's order (train/trainer.ts: no validation split, one shuffle per epoch)
      const order = new Rng(mixSeed(o.seed, e + 1)).shuffle(
        Int32Array.from({ length: train.size }, (_, i) => i),
      );
      for (let s = 0; s < stepsPerEpoch; s++) {
        while (next < points.length && t === points[next]!) {
          next++;
          const f = 1 - (1 - next / points.length) ** 3;
          const now = cur.step.plan.toGraph();
          const keep = genomeKeep(now, genome, f, original);
          if (keep.size > 0) {
            g = removeChannels(now, analyzeGroups(now), keep);
            o.log?.(
              `prune ${next}/${points.length} at step ${t} of ${total}: ${countParams(now)} -> ${countParams(g)} params`,
            );
            pruned = true;
            await cur.step.close();
            cur = await start(g);
          }
        }
        const from = s * batch;
        const n = Math.min(batch, order.length - from);
        const { plan } = cur.step;
        cur.step.run(train, order, from, n, t);
        const lr = learningRate(schedule, t, total, stepsPerEpoch);
        optimizerStep(cur.opt, plan.params.f32, plan.grads.f32, lr, cur.decay);
        t++;
      }
    }
    g = cur.step.plan.toGraph();
  } finally {
    await cur.step.close();
  }
  const testAccuracy = evaluateGraph(g, data.test).accuracy;
  return { graph: g, testAccuracy, seconds: (performance.now() - t0) / 1000, paramsBefore, pruned };
}
