/** Uplink ingestion: validate, deduplicate by (sender, message id), store, publish live events. */
export { applyMessage, type Origin } from './apply.js';
export { type IngestOutcome, Ingestor, type IngestorOptions } from './ingestor.js';
export type { DecodeFn, UplinkMessage } from './messages.js';
