/**
 * Ordered schema migrations. Each runs once, in its own transaction, and is recorded in
 * `schema_migrations`; a database newer than this code is refused. Append only: never edit a shipped one.
 */
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import { seenBit } from './repo/ledger.js';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  /** What SQL cannot express (e.g. hex ids into bitmaps): runs after `sql`, in the same transaction. */
  readonly run?: (db: Db) => void;
}

/** Migration 7: the bits of the device ids already in the ledger (repo/ledger.ts). */
function fillSeen(db: Db): void {
  const rows = db
    .prepare<[], { sender: string; msg_id: string }>(
      'SELECT sender, msg_id FROM ingest_ledger WHERE length(msg_id) = 16',
    )
    .all();
  const blocks = new Map<string, { sender: string; boot: number; block: number; mask: number }>();
  for (const r of rows) {
    const { boot, block, mask } = seenBit(r.msg_id);
    const k = `${r.sender}\n${boot}\n${block}`;
    const b = blocks.get(k);
    // Each id comes once (it was the ledger's key), so adding sets its bit (`|` would cut to 32 bits).
    if (b) b.mask += mask;
    else blocks.set(k, { sender: r.sender, boot, block, mask });
  }
  const put = db.prepare('INSERT INTO ingest_seen (sender, boot, block, mask) VALUES (?, ?, ?, ?)');
  for (const b of blocks.values()) put.run(b.sender, b.boot, b.block, b.mask);
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
  {
    id: 2,
    name: 'ota: keys, models, campaigns, executions',
    sql: `
-- Ed25519 signing keys (PROTOCOL.md §5.9). The private seed of a key the cloud made lives in the data
-- directory (keys/<id>.seed, mode 0600), never in the database; imported keys have no private part.
CREATE TABLE signing_keys (
  id TEXT PRIMARY KEY,                  -- key id: 16 lowercase hex digits (§5.9)
  public_key BLOB NOT NULL,             -- raw 32-byte Ed25519 public key
  status TEXT NOT NULL CHECK (status IN ('active', 'valid', 'retired')),
  has_private INTEGER NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  retired_ms INTEGER
) STRICT;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys(status) WHERE status = 'active';

-- The model registry: one row per stored artifact file, content-addressed by its object id (§2.7).
CREATE TABLE models (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL,                 -- artifact content digest, hex (§5.8)
  object_id TEXT NOT NULL UNIQUE,       -- SHA-256 of the whole file, hex (§2.7)
  size INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  abi_version INTEGER NOT NULL,
  arena_infer_bytes INTEGER NOT NULL,
  arena_train_bytes INTEGER NOT NULL,
  ram_bytes INTEGER NOT NULL,
  training INTEGER NOT NULL,
  op_kinds_json TEXT NOT NULL,          -- OP_KINDS values the artifact uses, ascending
  cores_json TEXT NOT NULL DEFAULT '[]',-- cores the model is built for; empty: any
  created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX models_name ON models(name, version);

CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
  kind TEXT NOT NULL CHECK (kind IN ('rollout', 'rollback')),
  rollback_of TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'succeeded', 'aborted', 'canceled')),
  target_json TEXT NOT NULL,
  policy_json TEXT NOT NULL,
  excluded_json TEXT NOT NULL,
  phase INTEGER NOT NULL DEFAULT 0,
  phase_count INTEGER NOT NULL,
  phase_started_ms INTEGER NOT NULL,
  phase_met_ms INTEGER,                 -- when the current phase met its success threshold (soak start)
  egress_bytes INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  finished_ms INTEGER
) STRICT;
CREATE INDEX campaigns_status ON campaigns(status, id);

-- Per-device executions: the durable ledger of the OTA state machine (apps/cloud/src/ota/README.md).
CREATE TABLE ota_executions (
  campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  phase INTEGER NOT NULL,
  state TEXT NOT NULL,
  state_since_ms INTEGER NOT NULL,
  command_id TEXT,
  status_seq TEXT,                      -- newest OTA_STATUS applied, by message id (§4.6.8)
  error TEXT,
  progress_json TEXT,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (campaign_id, device_id)
) STRICT;
CREATE INDEX ota_executions_state ON ota_executions(campaign_id, state);
CREATE INDEX ota_executions_device ON ota_executions(device_id, state);
CREATE INDEX ota_executions_gateway ON ota_executions(gateway_id, state);

-- Every transition asked of an execution, accepted or refused, with its cause.
CREATE TABLE ota_transitions (
  id INTEGER PRIMARY KEY,
  campaign_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  accepted INTEGER NOT NULL,
  cause TEXT NOT NULL,
  ts_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX ota_transitions_exec ON ota_transitions(campaign_id, device_id, id);
`,
  },
  {
    id: 3,
    name: 'cloud jobs',
    sql: `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  steps_json TEXT NOT NULL,
  register INTEGER NOT NULL CHECK (register IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  progress_json TEXT NOT NULL,
  results_json TEXT NOT NULL,
  files_json TEXT NOT NULL,
  model_ids_json TEXT NOT NULL,
  error TEXT,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER,
  finished_ms INTEGER
) STRICT;
CREATE INDEX jobs_status ON jobs(status, id);
`,
  },
  {
    id: 4,
    name: 'ingest ledger: device message ids in sending order',
    // PROTOCOL.md §4.1.5: a device id is boot (u32 LE) then counter (u32 LE); as LE hex, consecutive ids
    // scatter over the ledger's B-tree (one page written per message). The ledger now keys them big-endian
    // (repo/ledger.ts, ledgerKey), so a device's ids append. Two steps: a bijective rename in place could
    // collide with a row not yet renamed.
    sql: `
UPDATE ingest_ledger SET msg_id = 'x' || substr(msg_id, 7, 2) || substr(msg_id, 5, 2) || substr(msg_id, 3, 2)
  || substr(msg_id, 1, 2) || substr(msg_id, 15, 2) || substr(msg_id, 13, 2) || substr(msg_id, 11, 2)
  || substr(msg_id, 9, 2) WHERE length(msg_id) = 16;
UPDATE ingest_ledger SET msg_id = substr(msg_id, 2) WHERE length(msg_id) = 17 AND msg_id LIKE 'x%';
`,
  },
  {
    id: 5,
    name: 'gradient updates: no secondary indexes',
    // Every GRAD_UPDATE paid for two index entries that no query seeks with: the API lists by rowid
    // (`id > cursor`, repo/gradients.ts), filtering session and device on the way. bench:ingest: about
    // 2.5 µs of CPU per stored update, on the broker's thread.
    sql: `
DROP INDEX IF EXISTS grads_session_device;
DROP INDEX IF EXISTS grads_device;
`,
  },
  {
    id: 6,
    name: 'gradient updates: the message stored once',
    // `fields_json` repeated scalar fields that `raw` (the message as received) holds already: about 100
    // bytes of JSON per update, enough to keep 2 rows of bench:ingest's update (1,251 bytes) per 4 KiB
    // page instead of 3. repo/gradients.ts now decodes them from `raw` when read. Nothing is lost:
    // `fields_json` was written from the decoded `raw` of the same row (migrations.test.ts checks it).
    sql: `
ALTER TABLE gradient_updates DROP COLUMN fields_json;
`,
  },
  {
    id: 7,
    name: 'ingest ledger: an append-only record, device ids seen as bits',
    // repo/ledger.ts: keyed by (sender, id), the ledger took one insertion point per device in each
    // batch, and its pages split as they filled: 15 of the 36 pages a batch of 57 updates from 4 devices
    // wrote (28 since). Now its rows are appended in arrival order (one page per batch); a device id is
    // looked up as a bit of `ingest_seen` (one small row per device, updated in place), any other id in
    // a unique index. Every row is kept, with its type and time; the bits are filled from the device ids.
    sql: `
CREATE TABLE ingest_log (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,                 -- '<gateway id>/<device id or empty>'
  msg_id TEXT NOT NULL,                 -- hex; a device id big-endian (repo/ledger.ts, ledgerKey)
  msg_type INTEGER NOT NULL,
  received_ms INTEGER NOT NULL
) STRICT;
INSERT INTO ingest_log (sender, msg_id, msg_type, received_ms)
  SELECT sender, msg_id, msg_type, received_ms FROM ingest_ledger ORDER BY received_ms, sender, msg_id;
DROP TABLE ingest_ledger;
ALTER TABLE ingest_log RENAME TO ingest_ledger;
-- Random ids (16 bytes, PROTOCOL.md §4.1.5 item 2): processed once per sender.
CREATE UNIQUE INDEX ingest_ledger_random ON ingest_ledger(sender, msg_id) WHERE length(msg_id) <> 16;
-- Device ids (8 bytes, §4.1.5 item 1): bit (counter % 48) of the row (sender, boot, counter / 48).
CREATE TABLE ingest_seen (
  sender TEXT NOT NULL,
  boot INTEGER NOT NULL,
  block INTEGER NOT NULL,
  mask INTEGER NOT NULL,
  PRIMARY KEY (sender, boot, block)
) STRICT, WITHOUT ROWID;
`,
    run: fillSeen,
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
        m.run?.(db);
        record.run(m.id, m.name, Date.now());
      })();
    } catch (e) {
      throw new StoreError('MIGRATION_FAILED', `migration ${m.id} (${m.name}) failed`, { cause: e });
    }
    applied.push(m.id);
  }
  return applied;
}
