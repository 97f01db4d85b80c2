/** Gateways and their MQTT credentials (username = gateway id, password stored as a hash). */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { hashSecret, newId, newSecret, verifySecret } from '../ids.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { Gateway, JsonObject, Page, PageRequest } from '../types.js';

interface Row {
  id: string;
  fleet_id: string;
  name: string;
  password_hash: string;
  online: number;
  status_json: string | null;
  last_seen_ms: number | null;
  created_ms: number;
}

const toGateway = (r: Row): Gateway => ({
  id: r.id,
  fleetId: r.fleet_id,
  name: r.name,
  online: r.online === 1,
  status: r.status_json === null ? null : parseJsonColumn<JsonObject>(r.status_json, 'gateway status'),
  lastSeenMs: r.last_seen_ms,
  createdMs: r.created_ms,
});

export class GatewayRepo {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #delete;
  readonly #presence;
  readonly #seen;
  readonly #allOffline;

  constructor(db: Db) {
    this.#insert = db.prepare<[string, string, string, string, number]>(
      'INSERT INTO gateways (id, fleet_id, name, password_hash, created_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM gateways WHERE id = ?');
    this.#list = db.prepare<{ after: string; fleet: string | null; limit: number }, Row>(
      'SELECT * FROM gateways WHERE id > @after AND (@fleet IS NULL OR fleet_id = @fleet) ORDER BY id LIMIT @limit',
    );
    this.#delete = db.prepare<[string]>('DELETE FROM gateways WHERE id = ?');
    this.#presence = db.prepare<[number, string | null, number, string]>(
      'UPDATE gateways SET online = ?, status_json = ?, last_seen_ms = ? WHERE id = ?',
    );
    this.#seen = db.prepare<[number, string]>('UPDATE gateways SET last_seen_ms = ? WHERE id = ?');
    const gwOff = db.prepare('UPDATE gateways SET online = 0 WHERE online = 1');
    const devOff = db.prepare('UPDATE devices SET online = 0 WHERE online = 1');
    this.#allOffline = db.transaction(() => {
      gwOff.run();
      devOff.run();
    });
  }

  /** Creates the gateway; the plaintext password is returned here once and never stored. */
  create(
    input: { fleetId: string; name: string },
    nowMs = Date.now(),
  ): { gateway: Gateway; password: string } {
    const id = newId('gw', nowMs);
    const password = newSecret();
    try {
      this.#insert.run(id, input.fleetId, input.name, hashSecret(password), nowMs);
    } catch (e) {
      if (e instanceof Error && /FOREIGN KEY/.test(e.message)) {
        throw new StoreError('NOT_FOUND', `fleet ${input.fleetId} not found`, { cause: e });
      }
      throw e;
    }
    return { gateway: this.require(id), password };
  }

  get(id: string): Gateway | undefined {
    const r = this.#get.get(id);
    return r && toGateway(r);
  }

  require(id: string): Gateway {
    const g = this.get(id);
    if (!g) throw new StoreError('NOT_FOUND', `gateway ${id} not found`);
    return g;
  }

  /** True when `password` is the gateway's current MQTT password. */
  checkPassword(id: string, password: string): boolean {
    const r = this.#get.get(id);
    return r !== undefined && verifySecret(password, r.password_hash);
  }

  list(page: PageRequest & { fleetId?: string | undefined }): Page<Gateway> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    const rows = this.#list.all({ after, fleet: page.fleetId ?? null, limit: page.limit + 1 });
    return toPage(rows, page.limit, toGateway, (r) => [r.id]);
  }

  delete(id: string): void {
    this.require(id);
    this.#delete.run(id);
  }

  /** Presence from GW_STATUS / last will (PROTOCOL.md §2.3). Returns false for an unknown gateway. */
  setPresence(id: string, online: boolean, status: JsonObject | null, nowMs = Date.now()): boolean {
    return this.#presence.run(online ? 1 : 0, status && JSON.stringify(status), nowMs, id).changes === 1;
  }

  /** Nobody is connected to a broker that just started: every gateway and device is offline. */
  markAllOffline(): void {
    this.#allOffline();
  }

  touch(id: string, nowMs = Date.now()): void {
    this.#seen.run(nowMs, id);
  }
}
