/** The ingest ledger: each (sender, message id) is processed once (PROTOCOL.md §2.5). */
import type { Db } from '../db.js';

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
    return this.#claim.run(sender, msgId, msgType, nowMs).changes === 1;
  }

  count(): number {
    return this.#count.get()?.n ?? 0;
  }
}
