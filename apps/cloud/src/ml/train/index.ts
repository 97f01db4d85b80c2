/** Training: loss, optimizers, schedules, the loop, evaluation and progress display. */
export { type EvalResult, evaluatePlan, gather } from './batches.js';
export { TrainError, type TrainErrorCode } from './errors.js';
export { type LossResult, softmaxCrossEntropy } from './loss.js';
export {
  createOptimizerState,
  defaultOptimizerConfig,
  type OptimizerConfig,
  type OptimizerKind,
  type OptimizerState,
  optimizerStep,
} from './optim.js';
export { formatDuration, ProgressDisplay, type ProgressStream } from './progress.js';
export { defaultSchedule, learningRate, type ScheduleConfig, type ScheduleKind } from './schedule.js';
export {
  type EpochRecord,
  evaluateGraph,
  type ProgressSink,
  splitTrainVal,
  type TrainConfig,
  type TrainData,
  Trainer,
  type TrainHooks,
  type TrainingState,
} from './trainer.js';
