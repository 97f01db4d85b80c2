/**
 * The store: one SQLite database (a file, or `':memory:'` as the in-memory twin) behind typed repositories.
 * Statements are prepared once per repository; `transaction` groups writes (ingest batches, ledger + data).
 */
import { type Db, openDatabase } from './db.js';
import { migrate } from './migrations.js';
import { CampaignRepo } from './repo/campaigns.js';
import { DeviceRepo } from './repo/devices.js';
import { EventRepo } from './repo/events.js';
import { ExecutionRepo } from './repo/executions.js';
import { FleetRepo } from './repo/fleets.js';
import { GatewayRepo } from './repo/gateways.js';
import { GradientRepo } from './repo/gradients.js';
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
  readonly #db: Db;

  private constructor(db: Db) {
    this.#db = db;
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

  /** Run `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  get open(): boolean {
    return this.#db.open;
  }

  /** Pragma value, for tests and diagnostics (e.g. `journal_mode`). */
  pragma(name: string): unknown {
    return this.#db.pragma(name, { simple: true });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
