/** Devices: registered by their HELLO as relayed by a gateway (PROTOCOL.md §4.2); tags and profile by API. */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { Device, JsonObject, Page, PageRequest } from '../types.js';

interface Row {
  id: string;
  gateway_id: string;
  fleet_id: string;
  capabilities_json: string;
  profile: string | null;
  tags_json: string;
  current_model: string | null;
  online: number;
  last_seen_ms: number | null;
  created_ms: number;
  updated_ms: number;
}

const toDevice = (r: Row): Device => ({
  id: r.id,
  gatewayId: r.gateway_id,
  fleetId: r.fleet_id,
  capabilities: parseJsonColumn<JsonObject>(r.capabilities_json, 'device capabilities'),
  profile: r.profile,
  tags: parseJsonColumn<string[]>(r.tags_json, 'device tags'),
  currentModel: r.current_model,
  online: r.online === 1,
  lastSeenMs: r.last_seen_ms,
  createdMs: r.created_ms,
  updatedMs: r.updated_ms,
});

export interface HelloInfo {
  gatewayId: string;
  deviceId: string;
  capabilities: JsonObject;
  profile?: string | undefined;
  currentModel?: string | undefined;
}

export class DeviceRepo {
  readonly #upsert;
  readonly #get;
  readonly #list;
  readonly #patch;
  readonly #seen;
  readonly #offlineByGateway;
  readonly #linked;
  readonly #linkedSeen;

  constructor(db: Db) {
    // A device that moves to another gateway follows it (and that gateway's fleet).
    this.#upsert = db.prepare<{
      id: string;
      gw: string;
      caps: string;
      profile: string | null;
      model: string | null;
      now: number;
    }>(
      `INSERT INTO devices (id, gateway_id, fleet_id, capabilities_json, profile, current_model, online,
         last_seen_ms, created_ms, updated_ms)
       SELECT @id, g.id, g.fleet_id, @caps, @profile, @model, 1, @now, @now, @now FROM gateways g WHERE g.id = @gw
       ON CONFLICT(id) DO UPDATE SET gateway_id = excluded.gateway_id, fleet_id = excluded.fleet_id,
         capabilities_json = excluded.capabilities_json, profile = coalesce(devices.profile, excluded.profile),
         current_model = coalesce(excluded.current_model, devices.current_model), online = 1,
         last_seen_ms = excluded.last_seen_ms, updated_ms = excluded.updated_ms`,
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM devices WHERE id = ?');
    this.#list = db.prepare<
      { after: string; fleet: string | null; gw: string | null; tag: string | null; limit: number },
      Row
    >(
      `SELECT * FROM devices WHERE id > @after AND (@fleet IS NULL OR fleet_id = @fleet)
         AND (@gw IS NULL OR gateway_id = @gw)
         AND (@tag IS NULL OR EXISTS (SELECT 1 FROM json_each(tags_json) WHERE value = @tag))
       ORDER BY id LIMIT @limit`,
    );
    this.#patch = db.prepare<[string, string | null, number, string]>(
      'UPDATE devices SET tags_json = ?, profile = ?, updated_ms = ? WHERE id = ?',
    );
    this.#seen = db.prepare<[number, number, string]>(
      'UPDATE devices SET online = ?, last_seen_ms = ? WHERE id = ?',
    );
    this.#linked = db.prepare<{ id: string; on: number }>(
      'UPDATE devices SET online = @on WHERE id = @id AND online <> @on',
    );
    this.#linkedSeen = db.prepare<{ id: string; seen: number }>(
      'UPDATE devices SET last_seen_ms = max(coalesce(last_seen_ms, 0), @seen) WHERE id = @id',
    );
    this.#offlineByGateway = db.prepare<[string]>('UPDATE devices SET online = 0 WHERE gateway_id = ?');
  }

  /** Register or refresh a device from its HELLO. False when the gateway is unknown. */
  upsertFromHello(h: HelloInfo, nowMs = Date.now()): boolean {
    const info = {
      id: h.deviceId,
      gw: h.gatewayId,
      caps: JSON.stringify(h.capabilities),
      profile: h.profile ?? null,
      model: h.currentModel ?? null,
      now: nowMs,
    };
    return this.#upsert.run(info).changes === 1;
  }

  get(id: string): Device | undefined {
    const r = this.#get.get(id);
    return r && toDevice(r);
  }

  require(id: string): Device {
    const d = this.get(id);
    if (!d) throw new StoreError('NOT_FOUND', `device ${id} not found`);
    return d;
  }

  list(
    page: PageRequest & {
      fleetId?: string | undefined;
      gatewayId?: string | undefined;
      tag?: string | undefined;
    },
  ): Page<Device> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    const rows = this.#list.all({
      after,
      fleet: page.fleetId ?? null,
      gw: page.gatewayId ?? null,
      tag: page.tag ?? null,
      limit: page.limit + 1,
    });
    return toPage(rows, page.limit, toDevice, (r) => [r.id]);
  }

  patch(
    id: string,
    p: { tags?: string[] | undefined; profile?: string | null | undefined },
    nowMs = Date.now(),
  ): Device {
    const d = this.require(id);
    const profile = p.profile === undefined ? d.profile : p.profile;
    this.#patch.run(JSON.stringify(p.tags ?? d.tags), profile, nowMs, id);
    return this.require(id);
  }

  /** Mark a device seen (any uplink message relayed for it). False for an unknown device. */
  touch(id: string, nowMs = Date.now()): boolean {
    return this.#seen.run(1, nowMs, id).changes === 1;
  }

  /**
   * Presence as a gateway reports it in GW_STATUS (PROTOCOL.md §4.7.1). True when it changed the device's
   * online flag; false when the flag was already so (a HELLO marks its device online) or the device is
   * unknown. `seenMs` only ever moves "last seen" forward.
   */
  setLinked(id: string, linked: boolean, seenMs: number | null): boolean {
    const changed = this.#linked.run({ id, on: linked ? 1 : 0 }).changes === 1;
    if (seenMs !== null) this.#linkedSeen.run({ id, seen: seenMs });
    return changed;
  }

  /** When a gateway goes offline, its devices cannot be reached either. */
  markGatewayOffline(gatewayId: string): void {
    this.#offlineByGateway.run(gatewayId);
  }
}
