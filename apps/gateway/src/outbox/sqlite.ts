/**
 * SQLite outbox and command ledger (better-sqlite3, WAL, synchronous=FULL so a committed entry survives
 * power loss; RESEARCH.md §6). One file in the gateway's data directory.
 *
 * Group commit (EnqueueOptions.lazy): an entry is committed with synchronous=NORMAL (its WAL frames are
 * written, not yet synced) and becomes publishable once an fdatasync of the WAL file that started after
 * its commit has completed, in libuv's thread pool; one sync covers every entry committed before it
 * started, and the event loop (the serial links of this gateway) never waits for the disk for them.
 * SQLite recovers the WAL up to the last commit whose frames are all on disk, so after that sync the entry
 * is as durable as after a FULL commit; before it, it is not published (PROTOCOL.md §2.4 item 3: written
 * to the outbox before publishing). Any FULL commit makes every earlier lazy one durable too. Deletes
 * (PUBACK) are never waited for: a delete lost to a power cut only publishes a duplicate (§2.5).
 */
import { close as closeFd, fdatasync, openSync } from 'node:fs';
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

/** A failed WAL sync (EIO, ...) is tried again after this long; the entries wait unpublished meanwhile. */
const SYNC_RETRY_MS = 1000;

export class SqliteStore implements Outbox, CommandLedger {
  readonly #db: Database.Database;
  readonly #max: number;
  readonly #log: Logger | undefined;
  #size: number;
  /** Active training sessions (sessions.ts, PROTOCOL.md §4.4.8), in the same file. */
  readonly sessions: SessionJournal;
  readonly #st: {
    readonly insert: Database.Statement;
    readonly remove: Database.Statement;
    readonly next: Database.Statement;
    readonly normal: Database.Statement;
    readonly full: Database.Statement;
  };
  /** Group commit: the newest entry committed, and the newest known durable (`next` stops there). */
  #lastSeq: number;
  #durableSeq: number;
  #walFd: number | undefined;
  #syncing = false;
  #syncAgain = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #durableListeners: (() => void)[] = [];

  private constructor(db: Database.Database, o: SqliteStoreOptions) {
    this.#db = db;
    this.#max = o.maxMessages ?? OUTBOX_DEFAULT_MAX;
    this.#log = o.log;
    this.#size = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    this.sessions = new SqliteSessionJournal(db);
    this.#st = {
      insert: db.prepare('INSERT INTO outbox (topic, payload, keep, created_ms) VALUES (?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      next: db.prepare(
        'SELECT seq, topic, payload, created_ms FROM outbox WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
      ),
      normal: db.prepare('PRAGMA synchronous = NORMAL'),
      full: db.prepare('PRAGMA synchronous = FULL'),
    };
    // what a previous run committed is on disk as far as it will ever be
    const last = (db.prepare('SELECT max(seq) AS m FROM outbox').get() as { m: number | null }).m ?? 0;
    this.#lastSeq = last;
    this.#durableSeq = last;
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
    if (o.lazy && !this.#db.memory && !this.#db.inTransaction) {
      const seq = this.#lazily(() => this.#insert(topic, payload, o, nowMs));
      this.#sync();
      return seq;
    }
    const seq = this.#db.transaction(() => this.#insert(topic, payload, o, nowMs))();
    this.#durable(seq); // a FULL commit: it and every lazy commit before it are on disk
    return seq;
  }

  onDurable(listener: () => void): void {
    this.#durableListeners.push(listener);
  }

  /** Commits `fn` with synchronous=NORMAL: its WAL frames are written, not synced (see the file header). */
  #lazily<T>(fn: () => T): T {
    this.#st.normal.run();
    try {
      return this.#db.transaction(fn)();
    } finally {
      this.#st.full.run();
    }
  }

  /** fdatasync of the WAL in the thread pool, one at a time; covers what was committed before it started. */
  #sync(): void {
    if (this.#syncing || this.#retry) {
      this.#syncAgain = true;
      return;
    }
    let fd: number;
    try {
      this.#walFd ??= openSync(`${this.#db.name}-wal`, 'r');
      fd = this.#walFd;
    } catch (e) {
      this.#syncFailed(e);
      return;
    }
    this.#syncing = true;
    this.#syncAgain = false;
    const target = this.#lastSeq;
    fdatasync(fd, (e) => {
      this.#syncing = false;
      if (!this.#db.open) {
        this.#closeWal(); // closed meanwhile: the descriptor was kept for this sync
        return;
      }
      if (e) this.#syncFailed(e);
      else this.#durable(target);
      if (this.#syncAgain) this.#sync();
    });
  }

  #syncFailed(e: unknown): void {
    this.#log?.error('outbox sync failed; retrying', { error: e instanceof Error ? e.message : String(e) });
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#db.open) this.#sync();
    }, SYNC_RETRY_MS);
    this.#retry.unref?.();
  }

  #durable(seq: number): void {
    if (seq <= this.#durableSeq) return;
    this.#durableSeq = seq;
    for (const l of this.#durableListeners) l();
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
    const r = this.#st.insert.run(topic, Buffer.from(payload), o.keep ? 1 : 0, nowMs);
    this.#size++;
    this.#lastSeq = Number(r.lastInsertRowid);
    return this.#lastSeq;
  }

  next(afterSeq: number, limit: number): OutboxEntry[] {
    if (afterSeq >= this.#durableSeq) return [];
    const rows = this.#st.next.all(afterSeq, this.#durableSeq, limit) as Row[];
    return rows.map((r) => ({
      seq: r.seq,
      topic: r.topic,
      payload: new Uint8Array(r.payload),
      createdMs: r.created_ms,
    }));
  }

  remove(seq: number): void {
    const r = this.#db.memory ? this.#st.remove.run(seq) : this.#lazily(() => this.#st.remove.run(seq));
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
    this.#durable(this.#lastSeq); // a FULL commit
  }

  close(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    if (this.#db.open) this.#db.close(); // a FULL checkpoint of everything committed, lazy or not
    if (!this.#syncing) this.#closeWal(); // else once the sync in flight has returned
  }

  #closeWal(): void {
    if (this.#walFd !== undefined) closeFd(this.#walFd, () => {});
    this.#walFd = undefined;
  }
}
