/**
 * Fine-tuning after a pruning step: SGD with momentum and a cosine-decayed learning rate over a
 * (seeded, per-epoch) subset of the training split. Element-wise masks are re-applied after every
 * optimizer update, so pruned weights stay exactly zero.
 */
import type { DataSplit } from '../data/types.js';
import type { Graph } from '../graph/types.js';
import { mixSeed, Rng } from '../tensor/rng.js';
import { createOptimizerState, defaultOptimizerConfig, optimizerStep } from '../train/optim.js';
import { TrainStep } from '../train/parallel/step.js';
import { defaultSchedule, learningRate } from '../train/schedule.js';
import type { MaskMap } from './elementwise.js';
import { PruneError } from './errors.js';

export interface FinetuneConfig {
  readonly epochs: number;
  readonly batch: number;
  /** Peak learning rate (cosine decay to 0 over the fine-tuning). */
  readonly lr: number;
  readonly seed: number;
  /** Samples per epoch, drawn afresh each epoch (default: the whole split). */
  readonly samplesPerEpoch?: number;
  /** Data-parallel threads (default 1). */
  readonly threads?: number;
}

export const DEFAULT_FINETUNE: FinetuneConfig = { epochs: 1, batch: 64, lr: 0.05, seed: 0 };

export interface FinetuneData {
  readonly split: DataSplit;
  readonly numClasses: number;
}

/** Train `graph` for `cfg.epochs` epochs; returns the fine-tuned graph (masked weights stay zero). */
export async function finetune(
  graph: Graph,
  data: FinetuneData,
  cfg: FinetuneConfig,
  masks?: MaskMap,
): Promise<Graph> {
  if (!(Number.isInteger(cfg.epochs) && cfg.epochs >= 0 && cfg.batch >= 1 && cfg.lr >= 0)) {
    throw new PruneError('BAD_CONFIG', 'fine-tuning needs epochs >= 0, batch >= 1 and lr >= 0');
  }
  if (cfg.epochs === 0) return graph;
  const { step } = await TrainStep.create(graph, {
    batch: cfg.batch,
    seed: cfg.seed,
    threads: cfg.threads ?? 1,
    numClasses: data.numClasses,
  });
  try {
    const plan = step.plan;
    const params = plan.params.f32;
    const pruned: number[] = [];
    for (const [key, mask] of masks ?? []) {
      const slot = plan.slot(key);
      for (let i = 0; i < mask.length; i++) if (mask[i] === 0) pruned.push(slot.offset + i);
    }
    const applyMask = (): void => {
      for (const i of pruned) params[i] = 0;
    };
    applyMask();
    const perEpoch = Math.min(cfg.samplesPerEpoch ?? data.split.size, data.split.size);
    const steps = Math.ceil(perEpoch / cfg.batch);
    const total = steps * cfg.epochs;
    const opt = createOptimizerState(defaultOptimizerConfig('sgd'), params.length);
    const noDecay = new Uint8Array(params.length);
    const schedule = defaultSchedule('cosine', cfg.lr);
    let t = 0;
    for (let e = 0; e < cfg.epochs; e++) {
      const all = Int32Array.from({ length: data.split.size }, (_, i) => i);
      const order = new Rng(mixSeed(cfg.seed, 0xf1e + e)).shuffle(all).slice(0, perEpoch);
      for (let s = 0; s < steps; s++) {
        const from = s * cfg.batch;
        const n = Math.min(cfg.batch, order.length - from);
        step.run(data.split, order, from, n, t);
        optimizerStep(opt, params, plan.grads.f32, learningRate(schedule, t, total, steps), noDecay);
        applyMask();
        t++;
      }
    }
    return plan.toGraph();
  } finally {
    await step.close();
  }
}
