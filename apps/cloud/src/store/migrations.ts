/**
 * Ordered schema migrations. Each runs once, in its own transaction, and is recorded in
 * `schema_migrations`; a database newer than this code is refused. Append only: never edit a shipped one.
 */
import type { Db } from './db.js';
import { StoreError } from './errors.js';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'core schema',
    sql: `
CREATE TABLE fleets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE gateways (
  id TEXT PRIMARY KEY,
  fleet_id TEXT NOT NULL REFERENCES fleets(id) ON DELETE RESTRICT,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,          -- sha256 hex of the MQTT password; never the plaintext
  online INTEGER NOT NULL DEFAULT 0,
  status_json TEXT,                     -- last GW_STATUS body, decoded
  last_seen_ms INTEGER,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX gateways_fleet ON gateways(fleet_id, id);

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
  fleet_id TEXT NOT NULL REFERENCES fleets(id) ON DELETE RESTRICT,
  capabilities_json TEXT NOT NULL DEFAULT '{}',  -- from the device HELLO
  profile TEXT,
  tags_json TEXT NOT NULL DEFAULT '[]',
  current_model TEXT,
  online INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX devices_gateway ON devices(gateway_id, id);
CREATE INDEX devices_fleet ON devices(fleet_id, id);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('admin', 'read')),
  token_hash TEXT NOT NULL UNIQUE,      -- sha256 hex of the token; never the plaintext
  created_ms INTEGER NOT NULL,
  last_used_ms INTEGER,
  revoked_ms INTEGER
) STRICT;

CREATE TABLE training_sessions (
  id TEXT PRIMARY KEY,
  wire_id INTEGER NOT NULL,             -- the u32 session id on the wire (PROTOCOL.md §4.4), per gateway
  fleet_id TEXT NOT NULL REFERENCES fleets(id) ON DELETE RESTRICT,
  gateway_id TEXT NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
  device_ids_json TEXT NOT NULL,
  config_json TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  started_ms INTEGER,
  stopped_ms INTEGER
) STRICT;
CREATE UNIQUE INDEX sessions_wire ON training_sessions(gateway_id, wire_id);
CREATE INDEX sessions_gateway ON training_sessions(gateway_id, id);

CREATE TABLE metrics (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL,
  values_json TEXT NOT NULL
) STRICT;
CREATE INDEX metrics_session_device ON metrics(session_id, device_id, step, id);
CREATE INDEX metrics_session ON metrics(session_id, step, id);

CREATE TABLE gradient_updates (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  layer INTEGER NOT NULL,
  updated_count INTEGER NOT NULL,       -- how many filters/rows this partial update carries
  ts_ms INTEGER NOT NULL,
  fields_json TEXT NOT NULL,            -- the message's scalar fields (everything but tensors)
  raw BLOB NOT NULL                     -- the message exactly as received (CBOR)
) STRICT;
CREATE INDEX grads_session_device ON gradient_updates(session_id, device_id, id);
CREATE INDEX grads_device ON gradient_updates(device_id, id);

-- Idempotent ingestion (PROTOCOL.md §2.5): a (sender, message id) is processed once. The row is inserted
-- with INSERT OR IGNORE in the same transaction as the data it guards.
CREATE TABLE ingest_ledger (
  sender TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  msg_type INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (sender, msg_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  kind TEXT NOT NULL,
  gateway_id TEXT,
  device_id TEXT,
  session_id TEXT,
  message TEXT NOT NULL,
  data_json TEXT
) STRICT;
CREATE INDEX events_kind ON events(kind, id);
`,
  },
];

/** Apply every migration not yet recorded; returns the ids applied now. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL) STRICT`);
  const done = new Set(
    db
      .prepare<[], { id: number }>('SELECT id FROM schema_migrations')
      .all()
      .map((r) => r.id),
  );
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...done].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new StoreError(
      'MIGRATION_FAILED',
      `database has migrations this code does not know: ${unknown.join(', ')}`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_ms) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        record.run(m.id, m.name, Date.now());
      })();
    } catch (e) {
      throw new StoreError('MIGRATION_FAILED', `migration ${m.id} (${m.name}) failed`, { cause: e });
    }
    applied.push(m.id);
  }
  return applied;
}
