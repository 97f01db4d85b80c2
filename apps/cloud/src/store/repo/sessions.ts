/** Training sessions: which devices of which gateway train with which configuration, and their status. */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { Json, JsonObject, Page, PageRequest, SessionStatus, TrainingSession } from '../types.js';

interface Row {
  id: string;
  wire_id: number;
  fleet_id: string;
  gateway_id: string;
  device_ids_json: string;
  config_json: string;
  status: SessionStatus;
  error: string | null;
  created_ms: number;
  updated_ms: number;
  started_ms: number | null;
  stopped_ms: number | null;
}

const toSession = (r: Row): TrainingSession => ({
  id: r.id,
  wireId: r.wire_id,
  fleetId: r.fleet_id,
  gatewayId: r.gateway_id,
  deviceIds: parseJsonColumn<string[]>(r.device_ids_json, 'session device ids'),
  config: parseJsonColumn<JsonObject>(r.config_json, 'session config'),
  status: r.status,
  error: r.error,
  createdMs: r.created_ms,
  updatedMs: r.updated_ms,
  startedMs: r.started_ms,
  stoppedMs: r.stopped_ms,
});

export class SessionRepo {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #status;
  readonly #config;
  readonly #byWire;
  readonly #idByWire;
  readonly #devices;
  readonly #statusEvents;

  constructor(db: Db) {
    // Wire ids count up from 1 across all gateways, so cloud-made sessions never share one.
    this.#insert = db.prepare<{
      id: string;
      gw: string;
      wire: number | null;
      devs: string;
      cfg: string;
      status: SessionStatus;
      now: number;
    }>(
      `INSERT INTO training_sessions (id, wire_id, fleet_id, gateway_id, device_ids_json, config_json, status,
         created_ms, updated_ms)
       SELECT @id, coalesce(@wire, (SELECT coalesce(max(wire_id), 0) + 1 FROM training_sessions)), g.fleet_id,
         g.id, @devs, @cfg, @status, @now, @now FROM gateways g WHERE g.id = @gw`,
    );
    this.#byWire = db.prepare<[string, number], Row>(
      'SELECT * FROM training_sessions WHERE gateway_id = ? AND wire_id = ?',
    );
    this.#idByWire = db
      .prepare<[string, number], string>(
        'SELECT id FROM training_sessions WHERE gateway_id = ? AND wire_id = ?',
      )
      .pluck();
    this.#get = db.prepare<[string], Row>('SELECT * FROM training_sessions WHERE id = ?');
    this.#list = db.prepare<
      { after: string; gw: string | null; fleet: string | null; status: string | null; limit: number },
      Row
    >(
      `SELECT * FROM training_sessions WHERE id > @after AND (@gw IS NULL OR gateway_id = @gw)
         AND (@fleet IS NULL OR fleet_id = @fleet) AND (@status IS NULL OR status = @status)
       ORDER BY id LIMIT @limit`,
    );
    this.#status = db.prepare<{ id: string; status: SessionStatus; error: string | null; now: number }>(
      `UPDATE training_sessions SET status = @status, error = @error, updated_ms = @now,
         started_ms = CASE WHEN @status = 'running' THEN coalesce(started_ms, @now) ELSE started_ms END,
         stopped_ms = CASE WHEN @status IN ('stopped', 'done', 'failed', 'partial') THEN @now ELSE stopped_ms END
       WHERE id = @id`,
    );
    this.#config = db.prepare<[string, number, string]>(
      'UPDATE training_sessions SET config_json = ?, updated_ms = ? WHERE id = ?',
    );
    this.#devices = db.prepare<[string, number, string]>(
      'UPDATE training_sessions SET device_ids_json = ?, updated_ms = ? WHERE id = ?',
    );
    this.#statusEvents = db.prepare<[string], { device_id: string | null; data_json: string | null }>(
      `SELECT device_id, data_json FROM events WHERE kind = 'session.status' AND session_id = ? ORDER BY id`,
    );
  }

  /**
   * Create a session. `wireId` is given only for a session the gateway started on its own (local CLI) and
   * reported; otherwise the next free wire id is taken.
   */
  create(
    input: {
      gatewayId: string;
      deviceIds: string[];
      config: JsonObject;
      wireId?: number | undefined;
      status?: SessionStatus | undefined;
    },
    nowMs = Date.now(),
  ): TrainingSession {
    const id = newId('ses', nowMs);
    const args = {
      id,
      gw: input.gatewayId,
      wire: input.wireId ?? null,
      devs: JSON.stringify(input.deviceIds),
      cfg: JSON.stringify(input.config),
      status: input.status ?? 'created',
      now: nowMs,
    };
    if (this.#insert.run(args).changes !== 1) {
      throw new StoreError('NOT_FOUND', `gateway ${input.gatewayId} not found`);
    }
    return this.require(id);
  }

  get(id: string): TrainingSession | undefined {
    const r = this.#get.get(id);
    return r && toSession(r);
  }

  /** The session a gateway's messages name by wire id (PROTOCOL.md §4.4). */
  byWireId(gatewayId: string, wireId: number): TrainingSession | undefined {
    const r = this.#byWire.get(gatewayId, wireId);
    return r && toSession(r);
  }

  /** Just the id of `byWireId`'s session (the ingest hot path: no row to decode). */
  idByWireId(gatewayId: string, wireId: number): string | undefined {
    return this.#idByWire.get(gatewayId, wireId);
  }

  require(id: string): TrainingSession {
    const s = this.get(id);
    if (!s) throw new StoreError('NOT_FOUND', `session ${id} not found`);
    return s;
  }

  list(
    page: PageRequest & {
      gatewayId?: string | undefined;
      fleetId?: string | undefined;
      status?: SessionStatus | undefined;
    },
  ): Page<TrainingSession> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    const rows = this.#list.all({
      after,
      gw: page.gatewayId ?? null,
      fleet: page.fleetId ?? null,
      status: page.status ?? null,
      limit: page.limit + 1,
    });
    return toPage(rows, page.limit, toSession, (r) => [r.id]);
  }

  setStatus(
    id: string,
    status: SessionStatus,
    error: string | null = null,
    nowMs = Date.now(),
  ): TrainingSession {
    this.#status.run({ id, status, error, now: nowMs });
    return this.require(id);
  }

  /** The devices of a session (an adopted session learns them from their reports). */
  setDevices(id: string, deviceIds: string[], nowMs = Date.now()): TrainingSession {
    this.#devices.run(JSON.stringify(deviceIds), nowMs, id);
    return this.require(id);
  }

  /**
   * The session's `session.status` events, oldest first: the per-device state reports its status is
   * computed from (apps/cloud/src/broker/ingest/sessions.ts).
   */
  statusEvents(id: string): { deviceId: string | null; data: Json | null }[] {
    return this.#statusEvents.all(id).map((r) => ({
      deviceId: r.device_id,
      data: r.data_json === null ? null : parseJsonColumn<Json>(r.data_json, 'event data'),
    }));
  }

  setConfig(id: string, config: JsonObject, nowMs = Date.now()): TrainingSession {
    this.#config.run(JSON.stringify(config), nowMs, id);
    return this.require(id);
  }
}
