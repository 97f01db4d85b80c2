/** The evaluator's training step: a short, seeded run of the existing trainer, then test accuracy. */
import type { Dataset } from '../data/types.js';
import type { Graph } from '../graph/types.js';
import { defaultOptimizerConfig } from '../train/optim.js';
import { defaultSchedule } from '../train/schedule.js';
import { Trainer } from '../train/trainer.js';

export interface BriefTraining {
  readonly epochs: number;
  /** Train on the first `limit` samples only. */
  readonly limit?: number;
  /** Evaluate on the first `testLimit` test samples only. */
  readonly testLimit?: number;
  readonly seed: number;
  readonly threads: number;
  /** Learning rate of the cosine schedule (0.05). */
  readonly lr?: number;
  readonly batch?: number;
  /** SGD with momentum 0.9 (default) or Adam. */
  readonly optimizer?: 'sgd' | 'adam';
  /** L2 weight decay of the weights (not biases or BatchNorm; 0). */
  readonly weightDecay?: number;
}

export interface TrainedResult {
  readonly graph: Graph;
  readonly testAccuracy: number;
  readonly seconds: number;
}

export async function trainBriefly(graph: Graph, data: Dataset, o: BriefTraining): Promise<TrainedResult> {
  const t0 = performance.now();
  const limit = o.limit;
  const train =
    limit !== undefined && limit < data.train.size
      ? { size: limit, get: data.train.get.bind(data.train) }
      : data.train;
  const trainer = await Trainer.create(
    graph,
    { numClasses: data.numClasses, train },
    {
      epochs: o.epochs,
      batch: o.batch ?? 64,
      seed: o.seed,
      optimizer: defaultOptimizerConfig(o.optimizer ?? 'sgd', { weightDecay: o.weightDecay ?? 0 }),
      schedule: defaultSchedule('cosine', o.lr ?? 0.05),
      valFraction: 0,
      earlyStopping: null,
    },
    undefined,
    { threads: o.threads },
  );
  let trained: Graph;
  try {
    trained = trainer.run();
  } finally {
    await trainer.close();
  }
  const idx =
    o.testLimit !== undefined && o.testLimit < data.test.size
      ? Int32Array.from({ length: o.testLimit }, (_, i) => i)
      : undefined;
  const test = trainer.evaluate(data.test, idx);
  return { graph: trained, testAccuracy: test.accuracy, seconds: (performance.now() - t0) / 1000 };
}
