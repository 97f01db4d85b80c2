export { MemoryStore } from './memory.js';
export {
  MemorySessionJournal,
  type SessionJournal,
  type SessionProgress,
  type SessionRow,
  type SessionSpec,
  SqliteSessionJournal,
} from './sessions.js';
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
