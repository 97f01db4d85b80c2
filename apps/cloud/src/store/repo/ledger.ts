/** The ingest ledger: each (sender, message id) is processed once (PROTOCOL.md §2.5). */
import type { Db } from '../db.js';

/**
 * The ledger's key for a message id given in hex. A device id (8 bytes, PROTOCOL.md §4.1.5: boot u32 LE,
 * counter u32 LE) is keyed big-endian, so the ids of a device sort in sending order and a batch of them
 * appends to the B-tree instead of touching one page each; longer (random) ids are kept as they are.
 * Migration 4 rewrote the keys stored before.
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

export class LedgerRepo {
  readonly #claim;
  readonly #count;

  constructor(db: Db) {
    this.#claim = db.prepare<[string, string, number, number]>(
      'INSERT OR IGNORE INTO ingest_ledger (sender, msg_id, msg_type, received_ms) VALUES (?, ?, ?, ?)',
    );
    this.#count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM ingest_ledger');
  }

  /**
   * Claim a message. True the first time, false for a duplicate. Must run in the same transaction as the
   * writes it guards, so a crash cannot record the id without the data or the data without the id.
   */
  claim(sender: string, msgId: string, msgType: number, nowMs = Date.now()): boolean {
    return this.#claim.run(sender, ledgerKey(msgId), msgType, nowMs).changes === 1;
  }

  count(): number {
    return this.#count.get()?.n ?? 0;
  }
}
