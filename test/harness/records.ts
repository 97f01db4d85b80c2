/**
 * What a site recorded, read straight from the SQLite files (read-only): the cloud's ingest ledger
 * (PROTOCOL.md §2.5 item 2), its metric and gradient rows, and the gateway's durable outbox (§2.4 item
 * 3), decoded. The system tests compare them to check exactly-once delivery through faults.
 */
import { decodeMessage, type Message } from '@tinyfleet/protocol/messages';
import { parseTopic } from '@tinyfleet/protocol/mqtt';
import Database from 'better-sqlite3';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * The key the cloud's ledger stores for a message id in hex (apps/cloud/src/store/repo/ledger.ts
 * `ledgerKey`): a device id (8 bytes, PROTOCOL.md §4.1.5: boot u32 LE, counter u32 LE) big-endian, so
 * that a device's ids sort in sending order; longer (random) ids as they are.
 */
export function ledgerKey(msgIdHex: string): string {
  if (msgIdHex.length !== 16) return msgIdHex;
  const be = (h: string) => h.match(/../g)?.reverse().join('') ?? h;
  return be(msgIdHex.slice(0, 8)) + be(msgIdHex.slice(8, 16));
}

function query<T>(file: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** A row of the cloud's ingest ledger: `sender` is `<gateway>/<device or empty>`. */
export interface LedgerRow {
  sender: string;
  msg_id: string;
  msg_type: number;
}

export const readLedger = (cloudDb: string): LedgerRow[] =>
  query<LedgerRow>(cloudDb, 'SELECT sender, msg_id, msg_type FROM ingest_ledger');

/**
 * Whether the cloud's ledger has claimed a device message id (PROTOCOL.md §4.1.5 item 1) of `sender`:
 * bit (counter % 48) of its `ingest_seen` row (sender, boot, counter / 48), as
 * apps/cloud/src/store/repo/ledger.ts keeps them. A GRAD_UPDATE has no `ingest_ledger` row: its gradient
 * row records it, and this bit its id.
 */
export function readSeen(cloudDb: string): (sender: string, boot: number, counter: number) => boolean {
  const rows = query<{ sender: string; boot: number; block: number; mask: number }>(
    cloudDb,
    'SELECT sender, boot, block, mask FROM ingest_seen',
  );
  const masks = new Map(rows.map((r) => [`${r.sender}\n${r.boot}\n${r.block}`, r.mask]));
  return (sender, boot, counter) => {
    const mask = masks.get(`${sender}\n${boot}\n${Math.floor(counter / 48)}`) ?? 0;
    return Math.floor(mask / 2 ** (counter % 48)) % 2 === 1;
  };
}

/** A message in the gateway's outbox (accepted from a device or made by the gateway, not yet acknowledged). */
export interface Accepted {
  /** `<gateway>/<device or empty>`, as in the cloud's ledger. */
  sender: string;
  deviceId: string | undefined;
  /** The message id in hex, as the cloud's ledger keys it (`ledgerKey`). */
  msgId: string;
  type: string;
  message: Message;
}

export function readOutbox(gatewayDb: string): Accepted[] {
  const rows = query<{ topic: string; payload: Buffer }>(
    gatewayDb,
    'SELECT topic, payload FROM outbox ORDER BY seq',
  );
  return rows.map((r) => {
    const t = parseTopic(r.topic);
    const m = decodeMessage(new Uint8Array(r.payload));
    return {
      sender: `${t.gatewayId}/${t.deviceId ?? ''}`,
      deviceId: t.deviceId,
      msgId: ledgerKey(hex(m.id)),
      type: m.type,
      message: m,
    };
  });
}

export interface MetricRow {
  device_id: string;
  step: number;
  values_json: string;
}

export const readMetrics = (cloudDb: string, sessionId: string): MetricRow[] =>
  query<MetricRow>(
    cloudDb,
    'SELECT device_id, step, values_json FROM metrics WHERE session_id = ? ORDER BY id',
    sessionId,
  );

export interface GradientRow {
  device_id: string;
  msg_id: string;
  step: number;
  layer: number;
}

export const readGradients = (cloudDb: string, sessionId: string): GradientRow[] =>
  query<GradientRow>(
    cloudDb,
    'SELECT device_id, msg_id, step, layer FROM gradient_updates WHERE session_id = ? ORDER BY id',
    sessionId,
  );
