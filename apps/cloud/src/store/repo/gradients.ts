/**
 * Partial gradient updates (PROTOCOL.md §4.4.7 GRAD_UPDATE). A row holds the message once, as received
 * (`raw`, CBOR), beside the columns the API and the merging code select and order by (session, device,
 * gateway, message id, step, layer, count). The other scalar fields (`fields`: kind, samples seen, shape,
 * quantization) are decoded from `raw` when read, not stored a second time (migration 6: bench:ingest's
 * update, 8 rows of 144 values in 1,251 bytes, now fits 3 to a 4 KiB page instead of 2, 1.44 KB of
 * database per update instead of 2.1).
 */
import { decodeMessage, type GradUpdate } from '@tinyfleet/protocol/messages';
import { bulkInsert } from '../bulk.js';
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { decodeCursor, toPage } from '../pagination.js';
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
  raw: Uint8Array;
}

const COLUMNS = 'id, session_id, device_id, gateway_id, msg_id, step, layer, updated_count, ts_ms, raw';

/** The scalar fields of a GRAD_UPDATE beyond the indexed columns: `GradientUpdate.fields`. */
export function gradientFields(m: GradUpdate): JsonObject {
  return {
    kind: m.kind,
    samplesSeen: m.samplesSeen,
    structures: m.structures,
    elements: m.elements,
    scale: m.scale,
    zeroPoint: m.zeroPoint,
    ...(m.eps !== undefined && { eps: m.eps }),
  };
}

/** `fields` of a stored row, from its message bytes (validated before they were stored). */
function fieldsOf(r: Row): JsonObject {
  let m: ReturnType<typeof decodeMessage>;
  try {
    m = decodeMessage(r.raw);
  } catch (e) {
    throw new StoreError('CORRUPT_ROW', `gradient update ${r.id}: raw is not a valid message`, { cause: e });
  }
  if (m.type !== 'GRAD_UPDATE') {
    throw new StoreError('CORRUPT_ROW', `gradient update ${r.id}: raw is a ${m.type}`);
  }
  return gradientFields(m);
}

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
  fields: fieldsOf(r),
});

/** A row to insert: `raw` is a GRAD_UPDATE that passed validation, and the source of `fields`. */
export type NewGradientUpdate = Omit<GradientUpdate, 'id' | 'fields'> & { raw: Uint8Array };

export class GradientRepo {
  readonly #insert;
  readonly #get;
  readonly #raw;
  readonly #list;
  readonly #count;

  constructor(db: Db) {
    this.#insert = bulkInsert(db, 'gradient_updates', [
      'session_id',
      'device_id',
      'gateway_id',
      'msg_id',
      'step',
      'layer',
      'updated_count',
      'ts_ms',
      'raw',
    ]);
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
    return this.insertMany([u])[0] as number;
  }

  /** Insert updates in this order, in a few statements (../bulk.ts); call inside the ingest transaction. */
  insertMany(us: readonly NewGradientUpdate[]): number[] {
    const values: unknown[] = [];
    for (const u of us) {
      values.push(
        u.sessionId,
        u.deviceId,
        u.gatewayId,
        u.msgId,
        u.step,
        u.layer,
        u.updatedCount,
        u.tsMs,
        u.raw,
      );
    }
    return this.#insert(values);
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
