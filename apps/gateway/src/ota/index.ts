/** OTA on the gateway (PROTOCOL.md §2.7, §4.6, §4.7.2 `ota.job`); see README.md here. */
export { type OtaJob, parseOtaJob, type SmokeTest } from './args.js';
export { ObjectCache } from './cache.js';
export { deliverToDevice, OTA_TIMING_DEFAULTS, type OtaDevice, type OtaTimings } from './deliver.js';
export { type BlockChannel, type FetcherOptions, type FetchStats, ObjectFetcher } from './fetcher.js';
export { type KeyMap, parseKeyList, TrustedKeys, type TrustedKeysOptions } from './keys.js';
export { OtaService, type OtaServiceOptions } from './service.js';
export { nextStep, type Step } from './steps.js';
export { type VerifiedArtifact, verifyArtifact } from './verify.js';
