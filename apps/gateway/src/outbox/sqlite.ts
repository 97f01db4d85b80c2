/**
 * SQLite outbox and command ledger (better-sqlite3, WAL, synchronous=FULL so a committed entry survives
 * power loss; RESEARCH.md §6). One file in the gateway's data directory.
 */
import Database from 'better-sqlite3';
import type { Logger } from '../log/index.js';
import { type SessionJournal, SqliteSessionJournal } from './sessions.js';
import {
  type CommandLedger,
  type CommandRecord,
  type EnqueueOptions,
  OUTBOX_DEFAULT_MAX,
  type Outbox,
  type OutboxEntry,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  keep INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
  msg_id TEXT PRIMARY KEY,
  cid TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done')),
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS command_results (
  msg_id TEXT NOT NULL REFERENCES commands(msg_id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  payload BLOB NOT NULL,
  PRIMARY KEY (msg_id, n)
);
`;

interface Row {
  seq: number;
  topic: string;
  payload: Buffer;
  created_ms: number;
}

export interface SqliteStoreOptions {
  readonly maxMessages?: number;
  readonly log?: Logger;
}

export class SqliteStore implements Outbox, CommandLedger {
  readonly #db: Database.Database;
  readonly #max: number;
  readonly #log: Logger | undefined;
  #size: number;
  /** Active training sessions (sessions.ts, PROTOCOL.md §4.4.8), in the same file. */
  readonly sessions: SessionJournal;

  private constructor(db: Database.Database, o: SqliteStoreOptions) {
    this.#db = db;
    this.#max = o.maxMessages ?? OUTBOX_DEFAULT_MAX;
    this.#log = o.log;
    this.#size = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    this.sessions = new SqliteSessionJournal(db);
  }

  static open(file: string, o: SqliteStoreOptions = {}): SqliteStore {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    return new SqliteStore(db, o);
  }

  get size(): number {
    return this.#size;
  }

  enqueue(topic: string, payload: Uint8Array, o: EnqueueOptions, nowMs = Date.now()): number {
    return this.#db.transaction(() => this.#insert(topic, payload, o, nowMs))();
  }

  #insert(topic: string, payload: Uint8Array, o: EnqueueOptions, nowMs: number): number {
    if (this.#size >= this.#max) {
      // Documented policy (PROTOCOL.md §2.4 item 3): drop the oldest droppable entry, never a kept one.
      const r = this.#db
        .prepare(
          'DELETE FROM outbox WHERE seq = (SELECT seq FROM outbox WHERE keep = 0 ORDER BY seq LIMIT 1)',
        )
        .run();
      if (r.changes > 0) {
        this.#size--;
        this.#log?.warn('outbox full: dropped the oldest droppable message', { max: this.#max });
      }
    }
    const r = this.#db
      .prepare('INSERT INTO outbox (topic, payload, keep, created_ms) VALUES (?, ?, ?, ?)')
      .run(topic, Buffer.from(payload), o.keep ? 1 : 0, nowMs);
    this.#size++;
    return Number(r.lastInsertRowid);
  }

  next(afterSeq: number, limit: number): OutboxEntry[] {
    const rows = this.#db
      .prepare('SELECT seq, topic, payload, created_ms FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(afterSeq, limit) as Row[];
    return rows.map((r) => ({
      seq: r.seq,
      topic: r.topic,
      payload: new Uint8Array(r.payload),
      createdMs: r.created_ms,
    }));
  }

  remove(seq: number): void {
    const r = this.#db.prepare('DELETE FROM outbox WHERE seq = ?').run(seq);
    this.#size -= r.changes;
  }

  expire(beforeMs: number): number {
    const r = this.#db.prepare('DELETE FROM outbox WHERE created_ms < ?').run(beforeMs);
    this.#db.prepare("DELETE FROM commands WHERE created_ms < ? AND state = 'done'").run(beforeMs);
    this.#size -= r.changes;
    return r.changes;
  }

  get(commandMsgId: string): CommandRecord | undefined {
    const c = this.#db.prepare('SELECT state FROM commands WHERE msg_id = ?').get(commandMsgId) as
      | { state: 'running' | 'done' }
      | undefined;
    if (!c) return undefined;
    const rows = this.#db
      .prepare('SELECT payload FROM command_results WHERE msg_id = ? ORDER BY n')
      .all(commandMsgId) as { payload: Buffer }[];
    return { state: c.state, results: rows.map((r) => new Uint8Array(r.payload)) };
  }

  begin(commandMsgId: string, cid: string, nowMs = Date.now()): boolean {
    const r = this.#db
      .prepare("INSERT OR IGNORE INTO commands (msg_id, cid, state, created_ms) VALUES (?, ?, 'running', ?)")
      .run(commandMsgId, cid, nowMs);
    return r.changes === 1;
  }

  finish(commandMsgId: string, results: { topic: string; payload: Uint8Array }[]): void {
    this.#db.transaction(() => {
      const ins = this.#db.prepare('INSERT INTO command_results (msg_id, n, payload) VALUES (?, ?, ?)');
      results.forEach((r, n) => {
        ins.run(commandMsgId, n, Buffer.from(r.payload));
        this.#insert(r.topic, r.payload, { keep: true }, Date.now());
      });
      this.#db.prepare("UPDATE commands SET state = 'done' WHERE msg_id = ?").run(commandMsgId);
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
