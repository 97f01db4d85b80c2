/**
 * Group commit for telemetry ingestion (PROTOCOL.md §2.4 item 3, §2.5 item 2).
 *
 * A batch of GRAD_UPDATE / TRAIN_METRICS / LOG / HEARTBEAT messages is committed without waiting for the
 * disk (SQLite WAL, synchronous=NORMAL for that commit: its frames and commit record are written to the
 * WAL file, not yet fsynced). Its acknowledgements (PUBACK) and live events are held until an fsync of the
 * WAL file that *started after* the commit has completed; one fsync (fdatasync, Store.sync), run in
 * libuv's thread pool, covers every batch committed before it started, and the event loop keeps receiving
 * and committing meanwhile. Up to MAX_SYNCS run at once; when one completes, the batches of the older
 * ones still running are durable too (they were committed before it started).
 *
 * Why this is as safe as synchronous=FULL for what is acknowledged: SQLite recovers the WAL up to the last
 * commit record whose frames are all on disk, in order, and an fsync of the file makes every frame written
 * before it durable. So when the sync returns, the batch's ledger rows and data are durable, exactly as
 * after a FULL commit; if the process or machine dies before, the batch may be lost, but nothing of it was
 * acknowledged, so the gateway's outbox resends it and the ledger makes any survivor a duplicate. A batch
 * with any other message type (OTA status, command results, presence, ...) commits with synchronous=FULL,
 * which makes it and every earlier batch durable at once; so does any other FULL commit of the store.
 */
import type { IngestOutcome } from './ingestor.js';

/** Runs the acknowledgements of one committed batch; with `failure`, acknowledges nothing as stored. */
export type Release = (failure?: IngestOutcome) => void;

/** One fsync in flight and the batches it covers (all committed before it started). */
interface Sync {
  covered: Release[];
  settled: boolean;
}

/**
 * Syncs in flight at most, by default. One fsync takes about as long as the broker needs to receive and
 * commit a batch, so with a single sync a message committed just after a sync started waits for nearly
 * two; with two, the next sync starts at the next commit (bench:ingest, alternating runs at load 3-5:
 * 11.2k -> 13.1-15.6k updates/s).
 */
export const MAX_SYNCS = 2;

export class GroupCommit {
  readonly #sync: () => Promise<void>;
  readonly #log: ((level: 'error', msg: string, err?: unknown) => void) | undefined;
  readonly #max: number;
  /** Called after each sync, once its batches are released: the moment to commit what queued meanwhile. */
  onSynced: (() => void) | undefined;
  /** Committed lazily, not yet covered by a sync that has started. */
  #unsynced: Release[] = [];
  /** Syncs in flight, oldest first. */
  #running: Sync[] = [];

  constructor(
    sync: () => Promise<void>,
    log?: (level: 'error', msg: string, err?: unknown) => void,
    maxSyncs = MAX_SYNCS,
  ) {
    this.#sync = sync;
    this.#log = log;
    this.#max = Math.max(1, maxSyncs);
  }

  /** True when nothing waits for the disk. */
  get idle(): boolean {
    return this.#running.length === 0 && this.#unsynced.length === 0;
  }

  /** True while every sync slot is taken: a lazy commit now would wait for a slot anyway. */
  get syncing(): boolean {
    return this.#running.length >= this.#max;
  }

  /** A batch committed without fsync: released once a sync started after now has completed. */
  lazy(release: Release): void {
    this.#unsynced.push(release);
    this.#start();
  }

  /** A batch committed with synchronous=FULL: it, and every lazy batch committed before, are durable. */
  durable(release: Release): void {
    const earlier = this.#unsynced;
    this.#unsynced = [];
    for (const r of earlier) r();
    for (const s of this.#running) this.#settle(s);
    release();
  }

  #start(): void {
    if (this.#running.length >= this.#max || this.#unsynced.length === 0) return;
    const sync: Sync = { covered: this.#unsynced, settled: false };
    this.#unsynced = [];
    this.#running.push(sync);
    this.#sync().then(
      () => {
        // Everything committed before this sync started is durable, so are the batches of older syncs.
        for (const s of this.#running) {
          this.#settle(s);
          if (s === sync) break;
        }
        this.#done(sync);
      },
      (e: unknown) => {
        // Not known to be durable: acknowledge none of it (the gateways resend; the ledger dedups).
        this.#log?.('error', 'ingest: fsync of the write-ahead log failed', e);
        const reason = `fsync failed: ${e instanceof Error ? e.message : String(e)}`;
        this.#settle(sync, { status: 'failed', reason });
        this.#done(sync);
      },
    );
  }

  #settle(s: Sync, failure?: IngestOutcome): void {
    if (s.settled) return;
    s.settled = true;
    for (const r of s.covered) r(failure);
  }

  #done(sync: Sync): void {
    this.#running = this.#running.filter((s) => s !== sync);
    this.onSynced?.();
    this.#start(); // what was committed while this sync ran
  }
}
