/** Events and logs: device LOG lines, rejected messages, presence changes, API actions. */
import type { Db } from '../db.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { EventLevel, EventRecord, Json, Page, PageRequest } from '../types.js';

interface Row {
  id: number;
  ts_ms: number;
  level: EventLevel;
  kind: string;
  gateway_id: string | null;
  device_id: string | null;
  session_id: string | null;
  message: string;
  data_json: string | null;
}

const toEvent = (r: Row): EventRecord => ({
  id: r.id,
  tsMs: r.ts_ms,
  level: r.level,
  kind: r.kind,
  gatewayId: r.gateway_id,
  deviceId: r.device_id,
  sessionId: r.session_id,
  message: r.message,
  data: r.data_json === null ? null : parseJsonColumn<Json>(r.data_json, 'event data'),
});

export type NewEvent = {
  level: EventLevel;
  kind: string;
  message: string;
  gatewayId?: string | null | undefined;
  deviceId?: string | null | undefined;
  sessionId?: string | null | undefined;
  data?: Json | undefined;
  tsMs?: number | undefined;
};

export class EventRepo {
  readonly #insert;
  readonly #list;

  constructor(db: Db) {
    this.#insert = db.prepare<
      [number, EventLevel, string, string | null, string | null, string | null, string, string | null]
    >(
      `INSERT INTO events (ts_ms, level, kind, gateway_id, device_id, session_id, message, data_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#list = db.prepare<
      { after: number; kind: string | null; gw: string | null; dev: string | null; limit: number },
      Row
    >(
      `SELECT * FROM events WHERE id > @after AND (@kind IS NULL OR kind = @kind)
         AND (@gw IS NULL OR gateway_id = @gw) AND (@dev IS NULL OR device_id = @dev) ORDER BY id LIMIT @limit`,
    );
  }

  add(e: NewEvent): number {
    const r = this.#insert.run(
      e.tsMs ?? Date.now(),
      e.level,
      e.kind,
      e.gatewayId ?? null,
      e.deviceId ?? null,
      e.sessionId ?? null,
      e.message,
      e.data === undefined ? null : JSON.stringify(e.data),
    );
    return Number(r.lastInsertRowid);
  }

  list(
    q: PageRequest & {
      kind?: string | undefined;
      gatewayId?: string | undefined;
      deviceId?: string | undefined;
    },
  ): Page<EventRecord> {
    const after = q.cursor === undefined ? 0 : decodeCursor(q.cursor, ['number'])[0];
    const rows = this.#list.all({
      after,
      kind: q.kind ?? null,
      gw: q.gatewayId ?? null,
      dev: q.deviceId ?? null,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, toEvent, (r) => [r.id]);
  }
}
