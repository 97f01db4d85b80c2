/** Training metrics: one row per (session, device, step), as reported by TRAIN_METRICS (PROTOCOL.md §4.4). */
import type { Db } from '../db.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { JsonObject, MetricPoint, Page, PageRequest } from '../types.js';

interface Row {
  id: number;
  session_id: string;
  device_id: string;
  gateway_id: string;
  step: number;
  ts_ms: number;
  values_json: string;
}

const toPoint = (r: Row): MetricPoint => ({
  id: r.id,
  sessionId: r.session_id,
  deviceId: r.device_id,
  gatewayId: r.gateway_id,
  step: r.step,
  tsMs: r.ts_ms,
  values: parseJsonColumn<JsonObject>(r.values_json, 'metric values'),
});

export type NewMetricPoint = Omit<MetricPoint, 'id'>;

export class MetricRepo {
  readonly #insert;
  readonly #series;

  constructor(db: Db) {
    this.#insert = db.prepare<[string, string, string, number, number, string]>(
      'INSERT INTO metrics (session_id, device_id, gateway_id, step, ts_ms, values_json) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // Ordered by step (then arrival), so a series replayed late by a gateway's outbox still reads in order.
    this.#series = db.prepare<
      { session: string; device: string | null; step: number; id: number; limit: number },
      Row
    >(
      `SELECT * FROM metrics WHERE session_id = @session AND (@device IS NULL OR device_id = @device)
         AND (step > @step OR (step = @step AND id > @id))
       ORDER BY step, id LIMIT @limit`,
    );
  }

  /** Insert one point; call inside the ingest transaction. Returns the new row id. */
  insert(p: NewMetricPoint): number {
    const r = this.#insert.run(
      p.sessionId,
      p.deviceId,
      p.gatewayId,
      p.step,
      p.tsMs,
      JSON.stringify(p.values),
    );
    return Number(r.lastInsertRowid);
  }

  series(q: PageRequest & { sessionId: string; deviceId?: string | undefined }): Page<MetricPoint> {
    const [step, id] = q.cursor === undefined ? [-1, 0] : decodeCursor(q.cursor, ['number', 'number']);
    const rows = this.#series.all({
      session: q.sessionId,
      device: q.deviceId ?? null,
      step,
      id,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, toPoint, (r) => [r.step, r.id]);
  }
}
