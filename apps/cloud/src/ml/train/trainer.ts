/**
 * The training loop: seeded shuffling, mini-batch SGD/Adam with a learning-rate schedule, a validation
 * split carved from the training split, early stopping on validation loss, and a resumable state
 * (saved in the model file by the caller at each epoch end).
 */
import type { DataSplit } from '../data/types.js';
import { Plan } from '../engine/plan.js';
import { type Graph, shapeSize } from '../graph/types.js';
import { mixSeed, Rng } from '../tensor/rng.js';
import { type EvalResult, evaluatePlan } from './batches.js';
import { TrainError } from './errors.js';
import { createOptimizerState, type OptimizerConfig, type OptimizerState, optimizerStep } from './optim.js';
import { TrainStep } from './parallel/step.js';
import { learningRate, type ScheduleConfig } from './schedule.js';

export interface TrainConfig {
  readonly epochs: number;
  readonly batch: number;
  readonly seed: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
  /** Fraction of the training split held out for validation (0: none). */
  readonly valFraction: number;
  /** Stop when validation loss has not improved by `minDelta` for `patience` epochs; restore the best. */
  readonly earlyStopping: { readonly patience: number; readonly minDelta: number } | null;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  readonly seconds: number;
}

/** Everything needed to continue training exactly where it stopped. */
export interface TrainingState {
  readonly config: TrainConfig;
  /** Completed epochs. */
  epoch: number;
  /** Completed optimizer steps. */
  step: number;
  readonly optimizer: OptimizerState;
  readonly history: EpochRecord[];
  best: { epoch: number; valLoss: number; params: Float32Array; buffers: Float32Array } | null;
  stopped: boolean;
}

export interface TrainData {
  readonly numClasses: number;
  readonly train: DataSplit;
}

export interface ProgressSink {
  epochStart(epoch: number, epochs: number, steps: number): void;
  batch(step: number, steps: number, loss: number, accuracy: number): void;
  epochEnd(record: EpochRecord, epochs: number): void;
}

export interface TrainHooks {
  readonly progress?: ProgressSink;
  /** Called after every epoch with the current graph (for checkpoints). */
  readonly onEpochEnd?: (graph: Graph, state: TrainingState) => void;
}

export function splitTrainVal(
  size: number,
  valFraction: number,
  seed: number,
): { train: Int32Array; val: Int32Array } {
  const all = new Rng(mixSeed(seed, 0x7a1)).shuffle(Int32Array.from({ length: size }, (_, i) => i));
  const nVal = Math.floor(size * valFraction);
  return { train: all.slice(nVal).sort(), val: all.slice(0, nVal).sort() };
}

export interface TrainerOptions {
  /**
   * Data-parallel threads (default 1): each computes forward / backward on its slice of every batch;
   * see `parallel/step.ts` for the determinism guarantees. Falls back to 1 where workers cannot start.
   */
  readonly threads?: number;
}

function checkConfig(config: TrainConfig): void {
  if (!(config.epochs >= 1 && config.batch >= 1))
    throw new TrainError('BAD_CONFIG', 'epochs and batch must be >= 1');
}

export class Trainer {
  /** The training plan of shard 0 (its capacity is the batch slice of the main thread). */
  readonly plan: Plan;
  readonly evalPlan: Plan;
  readonly state: TrainingState;
  /** Why worker threads could not be used, if they were asked for and failed to start. */
  fallback: string | null = null;
  private readonly decayMask: Uint8Array;
  private readonly k: number;
  private readonly stepper: TrainStep;

  /** A single-threaded trainer; use `Trainer.create` for worker threads. */
  constructor(
    graph: Graph,
    private readonly data: TrainData,
    config: TrainConfig,
    resume?: TrainingState,
    stepper?: TrainStep,
  ) {
    checkConfig(config);
    this.stepper = stepper ?? TrainStep.single(graph, { batch: config.batch, seed: config.seed });
    this.plan = this.stepper.plan;
    this.evalPlan = new Plan(graph, { batch: Math.max(config.batch, 256), training: false });
    this.k = shapeSize(this.plan.shapes.get(this.plan.logits)!);
    if (this.k !== data.numClasses) {
      throw new TrainError(
        'CLASS_MISMATCH',
        `model has ${this.k} outputs, the data set ${data.numClasses} classes`,
      );
    }
    this.decayMask = new Uint8Array(this.plan.params.length);
    for (const s of this.plan.slots)
      if (s.trainable && s.decay) this.decayMask.fill(1, s.offset, s.offset + s.length);
    if (resume && resume.optimizer.slots[0]?.length !== this.plan.params.length) {
      throw new TrainError('BAD_CONFIG', 'checkpoint optimizer state does not match the model');
    }
    this.state = resume ?? {
      config,
      epoch: 0,
      step: 0,
      optimizer: createOptimizerState(config.optimizer, this.plan.params.length),
      history: [],
      best: null,
      stopped: false,
    };
  }

  /** A trainer over `options.threads` threads; call `close()` when done with it. */
  static async create(
    graph: Graph,
    data: TrainData,
    config: TrainConfig,
    resume?: TrainingState,
    options: TrainerOptions = {},
  ): Promise<Trainer> {
    checkConfig(config);
    const { step, fallback } = await TrainStep.create(graph, {
      batch: config.batch,
      seed: config.seed,
      threads: options.threads ?? 1,
      numClasses: data.numClasses,
    });
    try {
      const t = new Trainer(graph, data, config, resume, step);
      t.fallback = fallback;
      return t;
    } catch (err) {
      await step.close();
      throw err;
    }
  }

  get config(): TrainConfig {
    return this.state.config;
  }

  /** Threads in use. */
  get threads(): number {
    return this.stepper.threads;
  }

  /** Stop the worker threads (idempotent). */
  async close(): Promise<void> {
    await this.stepper.close();
  }

  /** Train until `config.epochs` (or early stop); returns the trained graph. */
  run(hooks: TrainHooks = {}): Graph {
    const { config, state } = this;
    const { train: trainIdx, val: valIdx } = splitTrainVal(
      this.data.train.size,
      config.valFraction,
      config.seed,
    );
    if (trainIdx.length === 0) throw new TrainError('EMPTY_SPLIT', 'the training split is empty');
    const steps = Math.ceil(trainIdx.length / config.batch);
    const total = steps * config.epochs;
    while (state.epoch < config.epochs && !state.stopped) {
      const t0 = performance.now();
      const order = new Rng(mixSeed(config.seed, state.epoch + 1)).shuffle(trainIdx.slice());
      hooks.progress?.epochStart(state.epoch + 1, config.epochs, steps);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = 0;
      for (let s = 0; s < steps; s++) {
        const from = s * config.batch;
        const n = Math.min(config.batch, order.length - from);
        const r = this.stepper.run(this.data.train, order, from, n, state.step);
        lr = learningRate(config.schedule, state.step, total, steps);
        optimizerStep(state.optimizer, this.plan.params.f32, this.plan.grads.f32, lr, this.decayMask);
        state.step++;
        lossSum += r.lossSum;
        correct += r.correct;
        seen += n;
        hooks.progress?.batch(s + 1, steps, lossSum / seen, correct / seen);
      }
      let val: EvalResult | undefined;
      if (valIdx.length > 0) val = this.evaluate(this.data.train, valIdx);
      const record: EpochRecord = {
        epoch: state.epoch + 1,
        lr,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        ...(val ? { valLoss: val.loss, valAccuracy: val.accuracy } : {}),
        seconds: (performance.now() - t0) / 1000,
      };
      state.history.push(record);
      state.epoch++;
      this.earlyStopping(val);
      hooks.progress?.epochEnd(record, config.epochs);
      hooks.onEpochEnd?.(this.graph(), state);
    }
    return this.graph();
  }

  private earlyStopping(val: EvalResult | undefined): void {
    const { state, config } = this;
    const es = config.earlyStopping;
    if (!es || !val) return;
    if (!state.best || val.loss < state.best.valLoss - es.minDelta) {
      state.best = {
        epoch: state.epoch,
        valLoss: val.loss,
        params: this.plan.params.f32.slice(),
        buffers: this.plan.buffers.f32.slice(),
      };
    } else if (state.epoch - state.best.epoch >= es.patience) {
      state.stopped = true;
      this.plan.params.f32.set(state.best.params);
      this.plan.buffers.f32.set(state.best.buffers);
    }
  }

  /** Loss and accuracy of the current parameters on a split. */
  evaluate(split: DataSplit, indices?: ArrayLike<number>): EvalResult {
    this.evalPlan.params.f32.set(this.plan.params.f32);
    this.evalPlan.buffers.f32.set(this.plan.buffers.f32);
    return evaluatePlan(this.evalPlan, split, indices);
  }

  /** The graph with the current parameters. */
  graph(): Graph {
    return this.plan.toGraph();
  }
}

/** Accuracy and loss of a graph on a split. */
export function evaluateGraph(graph: Graph, split: DataSplit, batch = 256): EvalResult {
  return evaluatePlan(new Plan(graph, { batch, training: false }), split);
}
