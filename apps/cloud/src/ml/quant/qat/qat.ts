/**
 * Quantization-aware training, the fallback when post-training quantization loses accuracy: fold
 * BatchNorm and drop dropout (as PTQ does, PROTOCOL.md §6.4), calibrate the activation ranges, then
 * fine-tune the float weights with every quantization PTQ will apply simulated in the forward pass
 * (`transform.ts`, `engine/ops/fake-quant.ts`; straight-through gradients) while the activation ranges
 * follow an exponential moving average. The result is the folded float graph and the learned ranges,
 * frozen: `postTrainingQuantize(result.graph, split, { ...o, ranges: result.ranges })` then produces
 * the integer model whose weights and qparams are exactly those the QAT forward pass used.
 */
import type { DataSplit } from '../../data/types.js';
import type { Graph } from '../../graph/types.js';
import { defaultOptimizerConfig, type OptimizerKind } from '../../train/optim.js';
import { defaultSchedule } from '../../train/schedule.js';
import { type EpochRecord, type ProgressSink, type TrainData, Trainer } from '../../train/trainer.js';
import { type CalibrationOptions, calibrate, calibrationIndices, type Range } from '../calibrate.js';
import { QuantError } from '../errors.js';
import { type PtqOptions, prepareFloatGraph } from '../ptq.js';
import { type FakeQuantGraphOptions, fakeQuantGraph, stripFakeQuant } from './transform.js';

export interface QatTraining {
  /** Fine-tuning epochs over the (sub)set (default 2). */
  readonly epochs: number;
  readonly batch: number;
  readonly optimizer: OptimizerKind;
  /** Peak learning rate of a cosine schedule to 0 (default: adam 1e-3, sgd 1e-2). */
  readonly lr: number;
  readonly seed: number;
  /** Train on this many samples spread evenly over the split (default: all of it). */
  readonly samples: number;
  /** Data-parallel threads (default 1). */
  readonly threads: number;
}

export interface QatOptions extends PtqOptions, FakeQuantGraphOptions {
  readonly training?: Partial<QatTraining>;
  readonly progress?: ProgressSink;
}

export interface QatResult {
  /** The prepared (folded) float graph with the fine-tuned weights. */
  readonly graph: Graph;
  /** Every value's range: learned ones where QAT quantizes, the calibration elsewhere. */
  readonly ranges: Map<string, Range>;
  readonly history: readonly EpochRecord[];
  /** Accuracy of the fake-quantized model on the training (sub)set after the last epoch. */
  readonly trainAccuracy: number;
}

/** `n` samples spread evenly over `split` (all of it when `n` is absent or larger). */
export function spreadSubset(split: DataSplit, n: number | undefined): DataSplit {
  if (n === undefined || n >= split.size) return split;
  const idx = calibrationIndices(split.size, n);
  return { size: idx.length, get: (i) => split.get(idx[i]!) };
}

export async function qat(graph: Graph, data: TrainData, o: QatOptions = {}): Promise<QatResult> {
  const t = o.training ?? {};
  const optimizer = t.optimizer ?? 'adam';
  const epochs = t.epochs ?? 2;
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new QuantError('OUT_OF_RANGE', `QAT epochs must be a positive integer, got ${epochs}`);
  const prepared = prepareFloatGraph(graph);
  const calibration: CalibrationOptions = o;
  const ranges = calibrate(prepared, data.train, calibration);
  const annotated = fakeQuantGraph(prepared, ranges, o);
  const train = spreadSubset(data.train, t.samples);
  const trainer = await Trainer.create(
    annotated,
    { numClasses: data.numClasses, train },
    {
      epochs,
      batch: t.batch ?? 32,
      seed: t.seed ?? 0,
      optimizer: defaultOptimizerConfig(optimizer),
      schedule: defaultSchedule('cosine', t.lr ?? (optimizer === 'adam' ? 1e-3 : 1e-2)),
      valFraction: 0,
      earlyStopping: null,
    },
    undefined,
    { threads: t.threads ?? 1 },
  );
  try {
    const trained = trainer.run(o.progress ? { progress: o.progress } : {});
    const plain = stripFakeQuant(trained);
    for (const [v, r] of plain.ranges) ranges.set(v, r);
    const last = trainer.state.history[trainer.state.history.length - 1];
    return {
      graph: plain.graph,
      ranges,
      history: trainer.state.history,
      trainAccuracy: last?.trainAccuracy ?? 0,
    };
  } finally {
    await trainer.close();
  }
}
