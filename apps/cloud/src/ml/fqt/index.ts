/**
 * Fully quantized training (PROTOCOL.md §6.6): the executable reference of the device's on-site
 * training (uint8 weights, activations and errors; dynamic partial updates, §4.4.1), its float
 * baseline and the domain-shift experiment.
 */
export {
  type AccBounds,
  accumulatorBounds,
  emptyBounds,
  LogitsTracker,
  logitsProducer,
} from './activation.js';
export * from './backward.js';
export { type SessionStart, sessionConfig } from './config.js';
export { FqtError, type FqtErrorCode } from './errors.js';
export {
  DEFAULT_EA,
  type ExperimentOptions,
  type ExperimentResult,
  type ExperimentRow,
  type LrSchedule,
  runExperiment,
  scheduledLr,
} from './experiment.js';
export { floatFineTune } from './float-baseline.js';
export { outputError } from './loss.js';
export { fullBackwardMacs, type RamEstimate, trainRamEstimate } from './memory.js';
export { gradQParams, gradUpdateMessages } from './message.js';
export { type TrainedChain, trainedChain } from './model.js';
export { emaRange, qparamsF32, roundStochastic, topK, Xorshift32 } from './numerics.js';
export { quantizeAccumulators } from './range.js';
export { type Shift, shiftSplit } from './shift.js';
export { type FqtConfig, FqtTrainer, type Sample, type StepResult } from './trainer.js';
export {
  center,
  elementIndex,
  type LayerParams,
  standardize,
  type UpdateRule,
  updateLayer,
} from './update.js';
