/** OTA: signing keys, the model registry, campaigns and their engine, block serving (README.md here). */
export { type BlockAnswer, BlockServer, type Publish } from './blocks.js';
export type { OpResult, RollbackInput } from './campaigns.js';
export { checkCompat, deviceCaps, type ExclusionCode, selectCohort } from './cohort.js';
export { CampaignEngine, type Clock, type JobSender } from './engine.js';
export { isOtaError, OtaError, type OtaErrorCode } from './errors.js';
export { applyOtaCommandResult, applyOtaStatus, blockRequestEvent } from './ingest.js';
export { campaignOfCommand, type OtaJobCommand, otaJobMessage } from './job.js';
export { KeyRing } from './keys.js';
export { ObjectStore } from './objects.js';
export { type CampaignInput, type PhaseInput, type Plan, planCampaign } from './plan.js';
export { registerModel, type UploadOptions, type UploadResult } from './registry.js';
export { OtaService, type OtaServiceOptions } from './service.js';
export { canTransition, DEFAULT_TIMEOUTS_MS, FROM_DEVICE_STATE, isTerminal } from './states.js';
