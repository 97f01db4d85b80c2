/** The cloud store: SQLite (file or in-memory twin), migrations, typed repositories, the live bus. */
export { type Db, openDatabase } from './db.js';
export { isStoreError, StoreError, type StoreErrorCode } from './errors.js';
export { hashSecret, newId, newSecret, verifySecret } from './ids.js';
export { LiveBus, type LiveEvent, type LiveListener } from './live.js';
export { MIGRATIONS, type Migration, migrate } from './migrations.js';
export {
  type AbortSpec,
  CAMPAIGN_STATUSES,
  type Campaign,
  type CampaignKind,
  type CampaignPolicy,
  type CampaignStatus,
  type CampaignTarget,
  type Exclusion,
  type NewCampaign,
  type PhaseSpec,
} from './repo/campaigns.js';
export type { HelloInfo } from './repo/devices.js';
export type { NewEvent } from './repo/events.js';
export {
  EXECUTION_STATES,
  type Execution,
  type ExecutionState,
  IN_FLIGHT_STATES,
  type InFlightState,
  type StateUpdate,
  type Transition,
} from './repo/executions.js';
export { gradientFields, type NewGradientUpdate } from './repo/gradients.js';
export {
  JOB_STATUSES,
  type Job,
  type JobOutcome,
  type JobProgress,
  type JobRepo,
  type JobStatus,
  type JobStep,
} from './repo/jobs.js';
export { KEY_STATUSES, type KeyStatus, type SigningKey } from './repo/keys.js';
export type { LedgerBatch } from './repo/ledger.js';
export type { NewMetricPoint } from './repo/metrics.js';
export type { ModelRecord, NewModel } from './repo/models.js';
export { TOKEN_PREFIX } from './repo/tokens.js';
export { Store } from './store.js';
export * from './types.js';
