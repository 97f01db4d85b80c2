/**
 * Site orchestration shared by `npm start` (scripts/start.ts) and the system tests (test/system): build
 * and run virtual MCUs, the cloud, the gateway daemon; watch the live stream.
 */
export { type Api, ApiError, apiClient, type CloudPorts, type SiteCloud, startSiteCloud } from './cloud.js';
export { expectedTraining, storedTraining, type TrainingSummary } from './exactly-once.js';
export {
  GATEWAY_BIN,
  type GatewayKeys,
  type GatewayLogRecord,
  type GatewayStatus,
  type RunningGateway,
  type SourceConfig,
  startGateway,
  writeGatewayConfig,
} from './gateway.js';
export { type NoisyLink, noiseToolMissing, startNoisyLink } from './noise.js';
export {
  artifactSha,
  type CampaignView,
  durableBlocks,
  type ExecutionView,
  executions,
  FINAL_CAMPAIGN,
  FINAL_EXECUTION,
  fileSha,
  type MlpSpec,
  type ModelRecord,
  mlpArtifact,
  tooBigArenaArtifact,
  uploadModel,
  waitCampaign,
} from './ota.js';
export { Child, type ChildOptions, waitFor } from './procs.js';
export {
  type Accepted,
  type GradientRow,
  type LedgerRow,
  ledgerKey,
  type MetricRow,
  readGradients,
  readLedger,
  readMetrics,
  readOutbox,
} from './records.js';
export {
  type CloudDevice,
  type CloudSession,
  Site,
  type SiteOptions,
  type SitePorts,
} from './site.js';
export { type LiveStream, openStream, type StreamEvent } from './sse.js';
export { TINY_TRAINABLE_OPS, tinyTrainableArtifact, writeTinyTrainableModel } from './train.js';
export {
  buildVmcu,
  deviceFor,
  type McuProfile,
  PROFILES,
  REPO_ROOT,
  startVmcu,
  ToolMissingError,
  VMCU_BUILD_DIR,
  type Vmcu,
  vmcuToolchainMissing,
} from './vmcu.js';
export { describeCommandResult, type Watcher, watchSite } from './watch.js';
