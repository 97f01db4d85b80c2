/**
 * The memory and latency planner (issue 4 item 5; PROTOCOL.md §5.6): tensor liveness, greedy
 * first-fit arena placement for inference and FQT training, flash/RAM sizes, MACs, latency and energy
 * per MCU profile, and the plan written into the model artifact.
 */
export { TRAINING_DEFAULTS, type TrainingOptions, withPlan } from './artifact.js';
export { backwardCost, forwardCost, opWork } from './cost.js';
export { PlanError, type PlanErrorCode } from './errors.js';
export { floatToArtifactModel, quantizeForPlan } from './from-float.js';
export { type PlanGraph, type PlanOp, type PlanTensor, planGraphOf } from './graph.js';
export { align16, type Buffer, type Placed, type Placement, placeGreedy } from './greedy.js';
export { type Interval, type Liveness, liveness } from './liveness.js';
export { type InferencePlan, planFlow, planInference } from './memory.js';
export { type McuProfile, PROFILES, profileByName, slotBytes } from './profiles.js';
export { type Limit, type PlanOptions, type PlanReport, planModel } from './report.js';
export { artifactBytes } from './size.js';
export { parseTrainable, weightedOps } from './trainable.js';
export {
  planTraining,
  type ScratchParams,
  type TrainingPlan,
  type TrainTensor,
  trainScratchBytes,
} from './training.js';
