/**
 * The store: one SQLite database (a file, or `':memory:'` as the in-memory twin) behind typed repositories.
 * Statements are prepared once per repository; `transaction` groups writes (ingest batches, ledger + data).
 */
import { closeSync, fdatasync, openSync } from 'node:fs';
import { Checkpointer } from './checkpointer.js';
import { type Db, openDatabase } from './db.js';
import { migrate } from './migrations.js';
import { CampaignRepo } from './repo/campaigns.js';
import { DeviceRepo } from './repo/devices.js';
import { EventRepo } from './repo/events.js';
import { ExecutionRepo } from './repo/executions.js';
import { FleetRepo } from './repo/fleets.js';
import { GatewayRepo } from './repo/gateways.js';
import { GradientRepo } from './repo/gradients.js';
import { JobRepo } from './repo/jobs.js';
import { KeyRepo } from './repo/keys.js';
import { LedgerRepo } from './repo/ledger.js';
import { MetricRepo } from './repo/metrics.js';
import { ModelRepo } from './repo/models.js';
import { SessionRepo } from './repo/sessions.js';
import { TokenRepo } from './repo/tokens.js';

export class Store {
  readonly fleets: FleetRepo;
  readonly gateways: GatewayRepo;
  readonly devices: DeviceRepo;
  readonly tokens: TokenRepo;
  readonly sessions: SessionRepo;
  readonly metrics: MetricRepo;
  readonly gradients: GradientRepo;
  readonly ledger: LedgerRepo;
  readonly events: EventRepo;
  readonly keys: KeyRepo;
  readonly models: ModelRepo;
  readonly campaigns: CampaignRepo;
  readonly executions: ExecutionRepo;
  readonly jobs: JobRepo;
  readonly #db: Db;
  /** `synchronous` for one lazy commit and back (prepared once: a batch commit runs both). */
  readonly #syncNormal;
  readonly #syncFull;
  /** The write-ahead log, opened by the first `sync`. */
  #walFd: number | undefined;
  #checkpointer: Checkpointer | undefined;

  private constructor(db: Db) {
    this.#db = db;
    this.#syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.#syncFull = db.prepare('PRAGMA synchronous = FULL');
    this.fleets = new FleetRepo(db);
    this.gateways = new GatewayRepo(db);
    this.devices = new DeviceRepo(db);
    this.tokens = new TokenRepo(db);
    this.sessions = new SessionRepo(db);
    this.metrics = new MetricRepo(db);
    this.gradients = new GradientRepo(db);
    this.ledger = new LedgerRepo(db);
    this.events = new EventRepo(db);
    this.keys = new KeyRepo(db);
    this.models = new ModelRepo(db);
    this.campaigns = new CampaignRepo(db);
    this.executions = new ExecutionRepo(db);
    this.jobs = new JobRepo(db);
  }

  /** Open (creating if needed) and migrate. `':memory:'` gives a throwaway in-memory store. */
  static open(path: string): Store {
    const db = openDatabase(path);
    try {
      migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    return new Store(db);
  }

  /**
   * Run `fn` in one transaction (nested calls become savepoints). BEGIN IMMEDIATE: the ingest worker
   * (broker/ingest/offload.ts) writes through a second connection, and a deferred transaction that read
   * before the other connection committed could not then write (SQLITE_BUSY_SNAPSHOT, no retry); taking
   * the write lock first makes it wait (busy_timeout) and read the latest data instead.
   */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /**
   * `transaction` whose commit does not wait for the disk (synchronous=NORMAL for this commit only): what
   * it wrote becomes durable when a later `sync()` completes, or with any later FULL commit. Only for
   * group commit (broker/ingest/group-commit.ts), which acknowledges nothing before that sync; every
   * other commit stays synchronous=FULL.
   */
  lazyTransaction<T>(fn: () => T): T {
    if (this.#db.memory || this.#db.inTransaction) return this.transaction(fn);
    this.#syncNormal.run();
    try {
      return this.transaction(fn);
    } finally {
      this.#syncFull.run();
    }
  }

  /**
   * Sync the write-ahead log in the thread pool: resolves once everything committed before is durable.
   * fdatasync, as SQLite syncs its log on Linux: the frames and the file's size, not its times (which
   * would cost a journal commit of the file system per sync).
   */
  sync(): Promise<void> {
    const file = this.file;
    if (file === undefined || !this.#db.open) return Promise.resolve();
    this.#walFd ??= openSync(`${file}-wal`, 'r');
    const fd = this.#walFd;
    return new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
  }

  /**
   * Run WAL checkpoints in a worker thread instead of inside commits (./checkpointer.ts), for a writer
   * that must not block: telemetry ingestion. No-op for the in-memory twin or when already started.
   */
  checkpointInBackground(): void {
    const file = this.file;
    if (file === undefined || this.#checkpointer || !this.#db.open) return;
    this.#checkpointer = new Checkpointer(this.#db, file);
  }

  /** The database file; undefined for the in-memory twin. */
  get file(): string | undefined {
    return this.#db.memory ? undefined : this.#db.name;
  }

  get open(): boolean {
    return this.#db.open;
  }

  /** Pragma value, for tests and diagnostics (e.g. `journal_mode`). */
  pragma(name: string): unknown {
    return this.#db.pragma(name, { simple: true });
  }

  close(): void {
    this.#checkpointer?.close();
    this.#checkpointer = undefined;
    if (this.#db.open) this.#db.close();
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
  }
}
