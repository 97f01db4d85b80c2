/**
 * WAL checkpoints off the writer's thread. SQLite's automatic checkpoint runs inside a commit, on the
 * thread that commits: it copies the log into the database file and fsyncs both, and during that the
 * event loop (the MQTT broker, the API) is blocked; bench:ingest measured about 4 µs of wall time per
 * ingested gradient update (1.25 KB each: a checkpoint every ~3,000 updates). Here a worker thread with
 * its own connection runs PASSIVE checkpoints (they never block the writer) every INTERVAL_MS.
 *
 * The writer's automatic checkpoint stays on, with a larger threshold (BACKSTOP_PAGES): should the worker
 * fall behind, or never catch the log fully copied between two commits (SQLite restarts the log only
 * then), the writer checkpoints itself, so the log stays bounded. Checkpoints are SQLite's own, from any
 * connection; durability is unchanged (a checkpoint fsyncs the log before and the database after copying).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';

const INTERVAL_MS = 50;
/** The writer's own automatic checkpoint threshold while the worker runs (SQLite's default: 1000). */
export const BACKSTOP_PAGES = 16_384;
const DEFAULT_PAGES = 1000;

// Plain CommonJS (an eval worker needs no TypeScript loader).
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const run = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY or a closing database: the next turn (or the writer's backstop) does it.
  }
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
`;

export class Checkpointer {
  readonly #worker: Worker;
  #closed = false;

  constructor(db: Db, file: string) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(SOURCE, {
      eval: true,
      workerData: { module, file, intervalMs: INTERVAL_MS },
    });
    this.#worker.unref();
    this.#worker.once('message', () => {
      if (!this.#closed && db.open) db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    });
    const fallback = () => {
      // The worker is gone: checkpoints go back to the writer, at SQLite's default threshold.
      if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
    };
    this.#worker.once('error', fallback);
    this.#worker.once('exit', fallback);
  }

  /** Stop the worker (it closes its connection); the writer checkpoints again by itself. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.postMessage('close');
  }
}
