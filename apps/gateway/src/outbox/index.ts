export { MemoryStore } from './memory.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
export type {
  CommandLedger,
  CommandRecord,
  CommandState,
  EnqueueOptions,
  Outbox,
  OutboxEntry,
} from './types.js';
export { OUTBOX_DEFAULT_MAX } from './types.js';
