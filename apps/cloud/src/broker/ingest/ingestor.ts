/**
 * Ingestion of uplink messages (PROTOCOL.md §2.5). Each PUBLISH is validated first (topic by §2.1, CBOR
 * by §4, the envelope type against the topic kind, the device id against the topic), outside any
 * transaction; valid messages are then applied in batches: one transaction per event-loop turn, each
 * message's ledger row in the same transaction as its effect. The callback (or promise) runs after the
 * commit, so the broker acknowledges (PUBACK) only what is durable.
 *
 * A batch is applied in one transaction without savepoints (the common case, and the cheap one). If
 * anything in it throws, the whole transaction is rolled back and the batch is applied again with each
 * message in its own savepoint, so one bad message is dropped (and logged) without taking the others down.
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

export type IngestCallback = (outcome: IngestOutcome) => void;

type Item =
  | { kind: 'msg'; origin: Origin; msg: UplinkMessage; raw: Uint8Array; done: IngestCallback }
  | { kind: 'reject'; gatewayId: string; topic: string; code: string; reason: string; bytes: number };
type MsgItem = Extract<Item, { kind: 'msg' }>;

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

const STORED: IngestOutcome = Object.freeze({ status: 'stored' });
const DUPLICATE: IngestOutcome = Object.freeze({ status: 'duplicate' });

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
  readonly #flushSoon = () => this.#flush();

  constructor(o: IngestorOptions) {
    this.#o = { maxBatch: 512, now: Date.now, ...o };
  }

  get stats(): Readonly<{ stored: number; duplicate: number; rejected: number; failed: number }> {
    return this.#stats;
  }

  /** Process one uplink PUBLISH from a gateway (its topic already passed the ACL). */
  accept(gatewayId: string, topic: string, payload: Uint8Array): Promise<IngestOutcome> {
    return new Promise((resolve) => this.submit(gatewayId, topic, payload, resolve));
  }

  /**
   * `accept` with a callback instead of a promise (the broker's hot path). `done` runs once: at once for
   * an invalid message, otherwise after the transaction holding the message has committed (or failed).
   */
  submit(gatewayId: string, topic: string, payload: Uint8Array, done: IngestCallback): void {
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
      const reason = errorText(e);
      this.#enqueue({ kind: 'reject', gatewayId, topic, code, reason, bytes: payload.length });
      this.#stats.rejected++;
      done({ status: 'rejected', code, reason });
      return;
    }
    const origin: Origin = { gatewayId, deviceId: parsed.deviceId };
    this.#enqueue({ kind: 'msg', origin, msg, raw: payload, done });
  }

  /** Resolves once everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#scheduled) await new Promise((r) => setImmediate(r));
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  #flush(): void {
    const items = this.#queue.splice(0, this.#o.maxBatch);
    const { store, bus } = this.#o;
    const now = this.#o.now();
    // Live events are only built when someone listens (the SSE stream, the OTA block server).
    const live: LiveEvent[] | undefined = bus.size > 0 ? [] : undefined;
    let outcomes: IngestOutcome[];
    try {
      outcomes = store.transaction(() => this.#applyBatch(items, now, live, false));
    } catch {
      // Something in the batch threw, or the commit failed: nothing of it is stored. Apply it again with a
      // savepoint per message, so only the failing message is dropped.
      if (live) live.length = 0;
      try {
        outcomes = store.transaction(() => this.#applyBatch(items, now, live, true));
      } catch (e) {
        // The commit itself failed: nothing of this batch is durable, so nothing may be acknowledged.
        this.#o.log?.('error', 'ingest transaction failed', e);
        const failed: IngestOutcome = { status: 'failed', reason: errorText(e) };
        outcomes = items.map(() => failed);
        if (live) live.length = 0;
      }
    }
    if (live) for (const e of live) bus.emit(e);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      if (item.kind !== 'msg') continue;
      const outcome = outcomes[i] ?? { status: 'failed', reason: 'lost' };
      this.#stats[outcome.status]++;
      item.done(outcome);
    }
    if (this.#queue.length > 0) setImmediate(this.#flushSoon);
    else this.#scheduled = false;
  }

  /**
   * Apply every item of a batch inside the caller's transaction; `outcomes[i]` belongs to `items[i]`
   * (undefined for the rejections, which are only logged). With `isolate`, each message gets a savepoint.
   */
  #applyBatch(items: Item[], now: number, live: LiveEvent[] | undefined, isolate: boolean): IngestOutcome[] {
    const { store } = this.#o;
    const outcomes: IngestOutcome[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
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
      outcomes[i] = isolate ? this.#applyIsolated(item, now, live) : this.#apply(item, now, live);
    }
    return outcomes;
  }

  /** One message: its ledger claim, then its effect (PROTOCOL.md §2.5 items 1 and 2). */
  #apply(item: MsgItem, now: number, live: LiveEvent[] | undefined): IngestOutcome {
    const { store } = this.#o;
    const { origin, msg, raw } = item;
    // PROTOCOL.md §2.5 item 1: an uplink is identified by (gw, dev or none, id). Heartbeats (QoS 0, no
    // outbox) only refresh "last seen", which is idempotent, so they stay out of the ledger.
    let idHex: string | undefined;
    if (msg.type !== 'HEARTBEAT') {
      idHex = hex(msg.id);
      const sender = `${origin.gatewayId}/${origin.deviceId ?? ''}`;
      if (!store.ledger.claim(sender, idHex, typeCode(msg.type), now)) return DUPLICATE;
    }
    const events = applyMessage(store, origin, msg, raw, now, idHex);
    if (live) for (const e of events) live.push(e);
    return STORED;
  }

  /** One message in its own savepoint: a failure undoes only this message, which is dropped and logged. */
  #applyIsolated(item: MsgItem, now: number, live: LiveEvent[] | undefined): IngestOutcome {
    const { store } = this.#o;
    const mark = live?.length ?? 0;
    try {
      return store.transaction(() => this.#apply(item, now, live));
    } catch (e) {
      if (live) live.length = mark;
      const { origin, msg } = item;
      // A bug or constraint failure on one message: record it, and drop the message rather than loop on it.
      this.#o.log?.('error', `ingest of ${msg.type} from ${origin.gatewayId} failed`, e);
      store.events.add({
        level: 'error',
        kind: 'ingest.failed',
        gatewayId: origin.gatewayId,
        deviceId: origin.deviceId ?? null,
        message: `${msg.type}: ${errorText(e)}`,
        tsMs: now,
      });
      return { status: 'rejected', code: 'INTERNAL', reason: errorText(e) };
    }
  }
}

function typeCode(name: UplinkMessage['type']): number {
  return MsgType[name as MsgTypeName];
}
