/**
 * Ingestion of uplink messages (PROTOCOL.md §2.5). Each PUBLISH is validated first (topic by §2.1, CBOR
 * by §4, the envelope type against the topic kind, the device id against the topic), outside any
 * transaction; valid messages are then applied in batches: one transaction per event-loop turn, each
 * message in its own savepoint, its ledger row in the same transaction as its effect. The returned promise
 * settles after the commit, so the broker acknowledges (PUBACK) only what is durable.
 */
import { MsgType, type MsgTypeName } from '@tinyfleet/protocol/constants';
import { isProtocolError } from '@tinyfleet/protocol/errors';
import { type ParsedTopic, parseTopic } from '@tinyfleet/protocol/mqtt';
import type { LiveBus, LiveEvent, Store } from '../../store/index.js';
import { applyMessage, type Origin } from './apply.js';
import type { DecodeFn, UplinkMessage } from './messages.js';

export type IngestOutcome =
  | { status: 'stored' }
  | { status: 'duplicate' }
  /** The message is invalid and was dropped (logged as an `ingest.rejected` event). */
  | { status: 'rejected'; code: string; reason: string }
  /** The store failed; nothing was recorded and the sender must retry (no PUBACK). */
  | { status: 'failed'; reason: string };

export interface IngestorOptions {
  store: Store;
  bus: LiveBus;
  decode: DecodeFn;
  /** Most messages per transaction. */
  maxBatch?: number;
  now?: () => number;
  log?: (level: 'warn' | 'error', msg: string, err?: unknown) => void;
}

type Item =
  | { kind: 'msg'; origin: Origin; msg: UplinkMessage; raw: Uint8Array; resolve: (o: IngestOutcome) => void }
  | { kind: 'reject'; gatewayId: string; topic: string; code: string; reason: string; bytes: number };

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Ingestor {
  readonly #o: Required<Omit<IngestorOptions, 'log'>> & Pick<IngestorOptions, 'log'>;
  #queue: Item[] = [];
  #scheduled = false;
  #stats = { stored: 0, duplicate: 0, rejected: 0, failed: 0 };

  constructor(o: IngestorOptions) {
    this.#o = { maxBatch: 512, now: Date.now, ...o };
  }

  get stats(): Readonly<{ stored: number; duplicate: number; rejected: number; failed: number }> {
    return this.#stats;
  }

  /** Process one uplink PUBLISH from a gateway (its topic already passed the ACL). */
  accept(gatewayId: string, topic: string, payload: Uint8Array): Promise<IngestOutcome> {
    let parsed: ParsedTopic;
    let msg: UplinkMessage;
    try {
      parsed = parseTopic(topic);
      if (parsed.gatewayId !== gatewayId)
        throw new Rejection('UNAUTHORIZED', `topic of gateway ${parsed.gatewayId}`);
      if (parsed.direction !== 'up') throw new Rejection('BAD_FIELD', 'not an uplink topic');
      msg = this.#o.decode(payload) as UplinkMessage;
      // PROTOCOL.md §2.1 rule 2: the envelope type must be the one the topic kind carries.
      if (msg.type !== parsed.message)
        throw new Rejection('BAD_FIELD', `${msg.type} on a ${parsed.kind} topic`);
      // PROTOCOL.md §2.6 item 2: a gateway relays a device only under that device's own id.
      if (msg.type === 'HELLO' && msg.deviceId !== parsed.deviceId) {
        throw new Rejection('BAD_FIELD', `HELLO of ${msg.deviceId} on the topic of ${parsed.deviceId}`);
      }
    } catch (e) {
      const code = e instanceof Rejection || isProtocolError(e) ? e.code : 'MALFORMED';
      const reason = e instanceof Error ? e.message : String(e);
      this.#enqueue({ kind: 'reject', gatewayId, topic, code, reason, bytes: payload.length });
      this.#stats.rejected++;
      return Promise.resolve({ status: 'rejected', code, reason });
    }
    const origin: Origin = { gatewayId, deviceId: parsed.deviceId };
    return new Promise((resolve) => this.#enqueue({ kind: 'msg', origin, msg, raw: payload, resolve }));
  }

  /** Resolves once everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#scheduled) await new Promise((r) => setImmediate(r));
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    const items = this.#queue.splice(0, this.#o.maxBatch);
    const { store, bus } = this.#o;
    const now = this.#o.now();
    const outcomes: IngestOutcome[] = [];
    const live: LiveEvent[] = [];
    try {
      store.transaction(() => {
        for (const item of items) {
          if (item.kind === 'reject') {
            store.events.add({
              level: 'warn',
              kind: 'ingest.rejected',
              gatewayId: item.gatewayId,
              message: `${item.code}: ${item.reason}`,
              data: { topic: item.topic, code: item.code, bytes: item.bytes },
              tsMs: now,
            });
            continue;
          }
          outcomes.push(this.#applyOne(item, now, live));
        }
      });
    } catch (e) {
      // The commit failed: nothing of this batch is durable, so nothing may be acknowledged.
      this.#o.log?.('error', 'ingest transaction failed', e);
      outcomes.fill({ status: 'failed', reason: e instanceof Error ? e.message : String(e) });
      live.length = 0;
    }
    for (const e of live) bus.emit(e);
    let i = 0;
    for (const item of items) {
      if (item.kind !== 'msg') continue;
      const outcome = outcomes[i++] ?? { status: 'failed', reason: 'lost' };
      this.#stats[outcome.status]++;
      item.resolve(outcome);
    }
    if (this.#queue.length > 0) setImmediate(() => this.#flush());
    else this.#scheduled = false;
  }

  /** One message in its own savepoint: a failure undoes only this message. */
  #applyOne(item: Extract<Item, { kind: 'msg' }>, now: number, live: LiveEvent[]): IngestOutcome {
    const { store } = this.#o;
    const { origin, msg, raw } = item;
    try {
      return store.transaction((): IngestOutcome => {
        // PROTOCOL.md §2.5 item 1: an uplink is identified by (gw, dev or none, id). Heartbeats (QoS 0, no
        // outbox) only refresh "last seen", which is idempotent, so they stay out of the ledger.
        if (msg.type !== 'HEARTBEAT') {
          const sender = `${origin.gatewayId}/${origin.deviceId ?? ''}`;
          if (!store.ledger.claim(sender, hex(msg.id), typeCode(msg.type), now))
            return { status: 'duplicate' };
        }
        live.push(...applyMessage(store, origin, msg, raw, now));
        return { status: 'stored' };
      });
    } catch (e) {
      // A bug or constraint failure on one message: record it, and drop the message rather than loop on it.
      this.#o.log?.('error', `ingest of ${msg.type} from ${origin.gatewayId} failed`, e);
      store.events.add({
        level: 'error',
        kind: 'ingest.failed',
        gatewayId: origin.gatewayId,
        deviceId: origin.deviceId ?? null,
        message: `${msg.type}: ${e instanceof Error ? e.message : String(e)}`,
        tsMs: now,
      });
      return { status: 'rejected', code: 'INTERNAL', reason: e instanceof Error ? e.message : String(e) };
    }
  }
}

function typeCode(name: UplinkMessage['type']): number {
  return MsgType[name as MsgTypeName];
}
