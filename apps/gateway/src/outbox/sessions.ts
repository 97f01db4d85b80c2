/**
 * The training sessions this gateway streams samples to (PROTOCOL.md §4.3, §4.4.8), kept in the
 * gateway's SQLite file beside the outbox, so that a restarted daemon (even after kill -9) finds each
 * session it was running and resumes its stream where the device is. One row per (device, session
 * id): written when the session starts, its progress updated at a bounded rate (the device knows its
 * own count; the row's counters are informative), deleted when the session has ended.
 */
import type Database from 'better-sqlite3';

/** What a stream needs to start again: the source, the model input hint, the limits. */
export interface SessionSpec {
  /** The command that started the session (its GW_COMMAND_RESULT answers `cid`, `re` = `commandMsgId`). */
  readonly cid: string;
  readonly commandMsgId: string;
  readonly source: string;
  /** `inputArgs` of the command (xs, xz, xshape), §4.3 item 4. */
  readonly input: { shape?: number[]; scale?: number; zeroPoint?: number };
  /** SAMPLE_BATCH samples in total (`smax`); 0 = no limit. */
  readonly total: number;
  /** Samples per second; 0 = as fast as credit allows. */
  readonly rate: number;
}

export interface SessionProgress {
  /** Next sample the gateway would send, the device's latest `next`, the largest grant (§4.3 item 1). */
  readonly next: number;
  readonly acked: number;
  readonly limit: number;
}

export interface SessionRow {
  readonly device: string;
  readonly sid: number;
  readonly spec: SessionSpec;
  /** The device's boot counter when the session started (HELLO `boot`, §4.2 item 4). */
  readonly boot: number | undefined;
  readonly progress: SessionProgress;
  readonly updatedMs: number;
}

/** Durable record of active sessions (the SQLite table, or a map in tests). */
export interface SessionJournal {
  put(row: Omit<SessionRow, 'updatedMs'>, nowMs?: number): void;
  /** Progress of several sessions, in one transaction. */
  progress(rows: readonly { device: string; sid: number; progress: SessionProgress }[], nowMs?: number): void;
  remove(device: string, sid: number): void;
  list(): SessionRow[];
}

export const SESSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS train_sessions (
  device TEXT NOT NULL,
  sid INTEGER NOT NULL,
  spec TEXT NOT NULL,
  boot INTEGER,
  next INTEGER NOT NULL,
  acked INTEGER NOT NULL,
  lim INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (device, sid)
);
`;

interface Row {
  device: string;
  sid: number;
  spec: string;
  boot: number | null;
  next: number;
  acked: number;
  lim: number;
  updated_ms: number;
}

export class SqliteSessionJournal implements SessionJournal {
  constructor(private readonly db: Database.Database) {
    db.exec(SESSIONS_SCHEMA);
  }

  put(r: Omit<SessionRow, 'updatedMs'>, nowMs = Date.now()): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO train_sessions (device, sid, spec, boot, next, acked, lim, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.device,
        r.sid,
        JSON.stringify(r.spec),
        r.boot ?? null,
        r.progress.next,
        r.progress.acked,
        r.progress.limit,
        nowMs,
      );
  }

  progress(rows: readonly { device: string; sid: number; progress: SessionProgress }[], nowMs = Date.now()) {
    if (rows.length === 0) return;
    const up = this.db.prepare(
      'UPDATE train_sessions SET next = ?, acked = ?, lim = ?, updated_ms = ? WHERE device = ? AND sid = ?',
    );
    this.db.transaction(() => {
      for (const r of rows)
        up.run(r.progress.next, r.progress.acked, r.progress.limit, nowMs, r.device, r.sid);
    })();
  }

  remove(device: string, sid: number): void {
    this.db.prepare('DELETE FROM train_sessions WHERE device = ? AND sid = ?').run(device, sid);
  }

  list(): SessionRow[] {
    const rows = this.db.prepare('SELECT * FROM train_sessions ORDER BY device, sid').all() as Row[];
    return rows.map((r) => ({
      device: r.device,
      sid: r.sid,
      spec: JSON.parse(r.spec) as SessionSpec,
      boot: r.boot ?? undefined,
      progress: { next: r.next, acked: r.acked, limit: r.lim },
      updatedMs: r.updated_ms,
    }));
  }
}

/** In-memory twin for unit tests (not durable). */
export class MemorySessionJournal implements SessionJournal {
  readonly #rows = new Map<string, SessionRow>();

  put(r: Omit<SessionRow, 'updatedMs'>, nowMs = Date.now()): void {
    this.#rows.set(`${r.device}\n${r.sid}`, { ...r, updatedMs: nowMs });
  }

  progress(rows: readonly { device: string; sid: number; progress: SessionProgress }[], nowMs = Date.now()) {
    for (const r of rows) {
      const k = `${r.device}\n${r.sid}`;
      const had = this.#rows.get(k);
      if (had) this.#rows.set(k, { ...had, progress: r.progress, updatedMs: nowMs });
    }
  }

  remove(device: string, sid: number): void {
    this.#rows.delete(`${device}\n${sid}`);
  }

  list(): SessionRow[] {
    return [...this.#rows.values()];
  }
}
