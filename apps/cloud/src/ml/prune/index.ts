/**
 * Model compression by pruning (RESEARCH.md §2, issue 8 item 4): structured channel pruning that yields
 * a physically smaller graph, element-wise magnitude pruning with masks, L1 / L2 / gradient / APoZ /
 * random criteria, one-shot or AGP schedules with fine-tuning, and sweeps. See README.md here.
 */
export { countNonzero, countParams } from './count.js';
export { CRITERIA, type Criterion, type ScoreData, type Scores, scoreChannels } from './criteria.js';
export { applyMasks, type MaskMap, magnitudeMasks, prunableWeights } from './elementwise.js';
export { PruneError, type PruneErrorCode } from './errors.js';
export { DEFAULT_FINETUNE, type FinetuneConfig, type FinetuneData, finetune } from './finetune.js';
export {
  analyzeGroups,
  type ChannelGroup,
  type GroupAnalysis,
  prunableGroups,
  type ValueSpace,
} from './groups.js';
export {
  type CompressConfig,
  type CompressData,
  type CompressResult,
  compressModel,
  criterionOf,
  PRUNE_METHODS,
  type PruneMethod,
  type ScheduleKind,
  type StepReport,
} from './pipeline.js';
export { agpSparsity, sparsitySchedule } from './schedule.js';
export { chooseChannels, type Scope, topChannels } from './structured.js';
export { type KeepMap, prunedParamCount, removeChannels, sliceAxis } from './surgery.js';
export { type SweepPoint, sweep } from './sweep.js';
