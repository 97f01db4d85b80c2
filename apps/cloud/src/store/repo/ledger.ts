/**
 * The ingest ledger: each (sender, message id) is processed once (PROTOCOL.md §2.5 item 2).
 *
 * Two tables since migration 7. `ingest_ledger` records the processed uplinks (sender, id, type, time)
 * in arrival order: an append-only table, so a batch of messages adds rows to one page at the end of
 * its B-tree. A GRAD_UPDATE, the bulk of the traffic, has no row there: its own row in
 * `gradient_updates` (gateway, device, message id) records it, written in the same transaction as its
 * bit (bench:ingest: one row and one message id in hex less per update). Whether an id was seen is
 * answered by:
 * - for a device id (8 bytes, PROTOCOL.md §4.1.5 item 1: boot counter, message counter), a bit of
 *   `ingest_seen`: one row per (sender, boot, counter / BLOCK_BITS), whose integer `mask` holds a bit per
 *   counter. A batch sets bits in the current row of each device it holds (one small row each, updated
 *   in place), where a B-tree keyed by (sender, id) took one insertion point per device and split its
 *   pages as they filled (bench:ingest, 4 devices, 57 updates per batch: 15 of the 36 pages a batch wrote,
 *   28 in all since);
 * - for any other id (16 random bytes, §4.1.5 item 2), a unique index on the ledger rows that have one.
 * Both are exact sets: out-of-order, replayed and repeated ids are all told apart.
 */
import { messageIdHex } from '@tinyfleet/protocol/messages';
import { bulkInsert } from '../bulk.js';
import type { Db } from '../db.js';

/** Message counters per `ingest_seen` row: 48 bits, an exact integer in JavaScript and in SQLite. */
export const BLOCK_BITS = 48;
/**
 * The ledger's key for a message id given in hex. A device id (8 bytes, PROTOCOL.md §4.1.5: boot u32 LE,
 * counter u32 LE) is keyed big-endian (boot, then counter, in hex), so the ids of a device sort in sending
 * order; longer (random) ids are kept as they are. Migration 4 rewrote the keys stored before.
 */
export function ledgerKey(msgIdHex: string): string {
  if (msgIdHex.length !== 16) return msgIdHex;
  const h = msgIdHex;
  return (
    h.slice(6, 8) +
    h.slice(4, 6) +
    h.slice(2, 4) +
    h.slice(0, 2) +
    h.slice(14, 16) +
    h.slice(12, 14) +
    h.slice(10, 12) +
    h.slice(8, 10)
  );
}

/** Where the bit of a device id (its ledger key, big-endian hex) lies in `ingest_seen`. */
export function seenBit(key: string): { boot: number; block: number; mask: number } {
  const boot = Number.parseInt(key.slice(0, 8), 16);
  const counter = Number.parseInt(key.slice(8, 16), 16);
  return { boot, block: Math.floor(counter / BLOCK_BITS), mask: 2 ** (counter % BLOCK_BITS) };
}

export class LedgerRepo {
  readonly #append;
  readonly #appendOnce;
  readonly #mark;
  readonly #markNew;
  readonly #seen;
  readonly #putSeen;
  readonly #appendAll;
  readonly #count;

  constructor(db: Db) {
    this.#append = db.prepare<[string, string, number, number]>(
      'INSERT INTO ingest_ledger (sender, msg_id, msg_type, received_ms) VALUES (?, ?, ?, ?)',
    );
    // A duplicate random id hits the partial unique index `ingest_ledger_random` and is ignored.
    this.#appendOnce = db.prepare<[string, string, number, number]>(
      'INSERT OR IGNORE INTO ingest_ledger (sender, msg_id, msg_type, received_ms) VALUES (?, ?, ?, ?)',
    );
    // Sets the bit if the row exists and the bit is clear; otherwise changes nothing.
    this.#mark = db.prepare<[number, string, number, number, number]>(
      'UPDATE ingest_seen SET mask = mask | ? WHERE sender = ? AND boot = ? AND block = ? AND (mask & ?) = 0',
    );
    this.#markNew = db.prepare<[string, number, number, number]>(
      'INSERT OR IGNORE INTO ingest_seen (sender, boot, block, mask) VALUES (?, ?, ?, ?)',
    );
    this.#seen = db.prepare<[string, number, number], { mask: number }>(
      'SELECT mask FROM ingest_seen WHERE sender = ? AND boot = ? AND block = ?',
    );
    this.#putSeen = db.prepare<[string, number, number, number]>(
      `INSERT INTO ingest_seen (sender, boot, block, mask) VALUES (?, ?, ?, ?)
         ON CONFLICT (sender, boot, block) DO UPDATE SET mask = excluded.mask`,
    );
    this.#appendAll = bulkInsert(db, 'ingest_ledger', ['sender', 'msg_id', 'msg_type', 'received_ms']);
    this.#count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM ingest_ledger');
  }

  /**
   * Claims for one transaction, written together by `LedgerBatch.write` before it commits: one read and
   * one write per `ingest_seen` row the batch touches, and its ledger rows a few statements at a time
   * (../bulk.ts), instead of two or three statements per message.
   */
  batch(): LedgerBatch {
    return new LedgerBatch(this, {
      seen: (sender, boot, block) => this.#seen.get(sender, boot, block)?.mask,
      putSeen: (sender, boot, block, mask) => this.#putSeen.run(sender, boot, block, mask),
      append: (rows) => void this.#appendAll(rows),
    });
  }

  /**
   * Claim a message. True the first time, false for a duplicate. Must run in the same transaction as the
   * writes it guards, so a crash cannot record the id without the data or the data without the id.
   * `record` false: no `ingest_ledger` row for a device id, whose bit is still set, for a message whose
   * own row records it (a GRAD_UPDATE's row in `gradient_updates`: gateway, device, message id). A random
   * id is always recorded: its row is what tells it was seen.
   */
  claim(sender: string, msgId: string, msgType: number, nowMs = Date.now(), record = true): boolean {
    const key = ledgerKey(msgId);
    if (msgId.length !== 16) return this.#appendOnce.run(sender, key, msgType, nowMs).changes === 1;
    const { boot, block, mask } = seenBit(key);
    // Not set by the update: either the bit was set (a duplicate) or the row is new.
    if (
      this.#mark.run(mask, sender, boot, block, mask).changes === 0 &&
      this.#markNew.run(sender, boot, block, mask).changes === 0
    ) {
      return false;
    }
    if (record) this.#append.run(sender, key, msgType, nowMs);
    return true;
  }

  /** Messages processed (rows of the ledger). */
  count(): number {
    return this.#count.get()?.n ?? 0;
  }
}

interface LedgerIo {
  seen(sender: string, boot: number, block: number): number | undefined;
  putSeen(sender: string, boot: number, block: number, mask: number): void;
  /** Ledger rows, flat: sender, key, type, time, then the next row's. */
  append(values: unknown[]): void;
}

/** One `ingest_seen` row as a batch sees it. */
interface SeenRow {
  boot: number;
  block: number;
  mask: number;
  changed: boolean;
}

const u32le = (b: Uint8Array, at: number) =>
  ((b[at] as number) |
    ((b[at + 1] as number) << 8) |
    ((b[at + 2] as number) << 16) |
    ((b[at + 3] as number) << 24)) >>>
  0;

/**
 * The claims of one transaction (LedgerRepo.batch): the same answers as `claim`, message by message, with
 * the writes held until `write`, which must run in the same transaction, before it commits. If the
 * transaction rolls back, drop the batch: nothing of it was written.
 */
export class LedgerBatch {
  readonly #repo: LedgerRepo;
  readonly #io: LedgerIo;
  /** The `ingest_seen` rows this batch has read, by sender (a device has one or two per batch). */
  readonly #seen = new Map<string, SeenRow[]>();
  #rows: unknown[] = [];

  constructor(repo: LedgerRepo, io: LedgerIo) {
    this.#repo = repo;
    this.#io = io;
  }

  /** `LedgerRepo.claim`: true the first time (counting this batch's earlier claims), false for a duplicate. */
  claim(sender: string, msgId: string, msgType: number, nowMs = Date.now(), record = true): boolean {
    // Random ids (rare: gateway messages) go through the unique index at once.
    if (msgId.length !== 16) return this.#repo.claim(sender, msgId, msgType, nowMs);
    const { boot, block, mask } = seenBit(ledgerKey(msgId));
    return this.#claim(sender, boot, block, mask, record ? msgId : undefined, msgType, nowMs);
  }

  /** `claim` with the message id as bytes (PROTOCOL.md §4.1.5): no hex for a device id's bit. */
  claimId(sender: string, id: Uint8Array, msgType: number, nowMs: number, record = true): boolean {
    if (id.length !== 8) return this.#repo.claim(sender, messageIdHex(id), msgType, nowMs);
    // §4.1.5 item 1: boot counter u32 LE, then message counter u32 LE (as seenBit reads the ledger key).
    const counter = u32le(id, 4);
    const bit = counter % BLOCK_BITS;
    const block = (counter - bit) / BLOCK_BITS;
    return this.#claim(sender, u32le(id, 0), block, 2 ** bit, record ? id : undefined, msgType, nowMs);
  }

  #claim(
    sender: string,
    boot: number,
    block: number,
    mask: number,
    id: string | Uint8Array | undefined,
    msgType: number,
    nowMs: number,
  ): boolean {
    let rows = this.#seen.get(sender);
    if (!rows) {
      rows = [];
      this.#seen.set(sender, rows);
    }
    let row: SeenRow | undefined;
    for (const r of rows) if (r.boot === boot && r.block === block) row = r;
    if (!row) {
      row = { boot, block, mask: this.#io.seen(sender, boot, block) ?? 0, changed: false };
      rows.push(row);
    }
    // Bit test on up to 48 bits (bitwise operators would cut to 32).
    if (Math.floor(row.mask / mask) % 2 === 1) return false;
    row.mask += mask;
    row.changed = true;
    if (id !== undefined) {
      this.#rows.push(sender, ledgerKey(typeof id === 'string' ? id : messageIdHex(id)), msgType, nowMs);
    }
    return true;
  }

  /** Write what the claims recorded. */
  write(): void {
    for (const [sender, rows] of this.#seen) {
      for (const r of rows) {
        if (r.changed) this.#io.putSeen(sender, r.boot, r.block, r.mask);
        r.changed = false;
      }
    }
    if (this.#rows.length > 0) this.#io.append(this.#rows);
    this.#rows = [];
  }
}
