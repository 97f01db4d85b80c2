/** Partial gradient updates (PROTOCOL.md §4.4 GRAD_UPDATE): scalar fields as JSON plus the raw CBOR. */
import type { Db } from '../db.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { GradientUpdate, JsonObject, Page, PageRequest } from '../types.js';

interface Row {
  id: number;
  session_id: string;
  device_id: string;
  gateway_id: string;
  msg_id: string;
  step: number;
  layer: number;
  updated_count: number;
  ts_ms: number;
  fields_json: string;
}

const COLUMNS =
  'id, session_id, device_id, gateway_id, msg_id, step, layer, updated_count, ts_ms, fields_json';

const toUpdate = (r: Row): GradientUpdate => ({
  id: r.id,
  sessionId: r.session_id,
  deviceId: r.device_id,
  gatewayId: r.gateway_id,
  msgId: r.msg_id,
  step: r.step,
  layer: r.layer,
  updatedCount: r.updated_count,
  tsMs: r.ts_ms,
  fields: parseJsonColumn<JsonObject>(r.fields_json, 'gradient update fields'),
});

export type NewGradientUpdate = Omit<GradientUpdate, 'id'> & { raw: Uint8Array };

export class GradientRepo {
  readonly #insert;
  readonly #get;
  readonly #raw;
  readonly #list;
  readonly #count;

  constructor(db: Db) {
    this.#insert = db.prepare<
      [string, string, string, string, number, number, number, number, string, Uint8Array]
    >(
      `INSERT INTO gradient_updates (session_id, device_id, gateway_id, msg_id, step, layer, updated_count, ts_ms,
         fields_json, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#get = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM gradient_updates WHERE id = ?`);
    this.#raw = db.prepare<[number], { raw: Buffer }>('SELECT raw FROM gradient_updates WHERE id = ?');
    this.#list = db.prepare<
      { session: string | null; device: string | null; after: number; limit: number },
      Row
    >(
      `SELECT ${COLUMNS} FROM gradient_updates WHERE id > @after AND (@session IS NULL OR session_id = @session)
         AND (@device IS NULL OR device_id = @device) ORDER BY id LIMIT @limit`,
    );
    this.#count = db.prepare<{ session: string | null }, { n: number }>(
      'SELECT count(*) AS n FROM gradient_updates WHERE @session IS NULL OR session_id = @session',
    );
  }

  /** Insert one update; call inside the ingest transaction. Returns the new row id. */
  insert(u: NewGradientUpdate): number {
    const r = this.#insert.run(
      u.sessionId,
      u.deviceId,
      u.gatewayId,
      u.msgId,
      u.step,
      u.layer,
      u.updatedCount,
      u.tsMs,
      JSON.stringify(u.fields),
      u.raw,
    );
    return Number(r.lastInsertRowid);
  }

  get(id: number): GradientUpdate | undefined {
    const r = this.#get.get(id);
    return r && toUpdate(r);
  }

  /** The message bytes exactly as received. */
  raw(id: number): Uint8Array | undefined {
    return this.#raw.get(id)?.raw;
  }

  list(
    q: PageRequest & { sessionId?: string | undefined; deviceId?: string | undefined },
  ): Page<GradientUpdate> {
    const after = q.cursor === undefined ? 0 : decodeCursor(q.cursor, ['number'])[0];
    const rows = this.#list.all({
      session: q.sessionId ?? null,
      device: q.deviceId ?? null,
      after,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, toUpdate, (r) => [r.id]);
  }

  count(sessionId?: string): number {
    return this.#count.get({ session: sessionId ?? null })?.n ?? 0;
  }
}
