/**
 * Ingestion of uplink messages (PROTOCOL.md §2.5). Each PUBLISH is validated first (./validate.ts),
 * outside any transaction; valid messages are then applied in batches: one transaction per event-loop
 * turn, each message's ledger row in the same transaction as its effect. The callback (or promise) runs
 * after the commit, so the broker acknowledges (PUBACK) only what is durable.
 *
 * A batch is applied in one transaction without savepoints (the common case, and the cheap one). If
 * anything in it throws, the whole transaction is rolled back and the batch is applied again with each
 * message in its own savepoint, so one bad message is dropped (and logged) without taking the others down.
 *
 * GRAD_UPDATE, the bulk of the traffic, is decoded in one pass (./grad-fast.ts). With `offload`, it goes
 * to the same logic in a worker thread with its own connection (./offload.ts), under the same rules:
 * answered after its commit.
 */
import { MsgType, type MsgTypeName } from '@tinyfleet/protocol/constants';
import { isProtocolError } from '@tinyfleet/protocol/errors';
import { messageIdHex } from '@tinyfleet/protocol/messages';
import type { LedgerBatch, LiveBus, LiveEvent, Store } from '../../store/index.js';
import { type ApplyBatch, applyMessage, type Origin, writeGradients } from './apply.js';
import { GroupCommit, type Release } from './group-commit.js';
import type { DecodeFn, UplinkMessage } from './messages.js';
import { IngestWorker } from './offload.js';
import { GRAD_SUFFIX, Rejection, validateUplink } from './validate.js';

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
  /**
   * Ingest GRAD_UPDATE in a worker thread (./offload.ts; needs a file store; same guarantees). Default
   * false: on the 2-core reference machine the hand-off costs more CPU than it frees (bench:ingest). The
   * worker decodes with ./grad-fast.ts, then `decodeMessage` of the protocol package, not with `decode`.
   */
  offload?: boolean;
  /** Group commit of telemetry (./group-commit.ts); default: true when the store is a file. */
  groupCommit?: boolean;
  log?: (level: 'warn' | 'error', msg: string, err?: unknown) => void;
}

export type IngestCallback = (outcome: IngestOutcome) => void;

type Item =
  | { kind: 'msg'; origin: Origin; msg: UplinkMessage; raw: Uint8Array; done: IngestCallback }
  | { kind: 'reject'; gatewayId: string; topic: string; code: string; reason: string; bytes: number };
type MsgItem = Extract<Item, { kind: 'msg' }>;

/** Stream telemetry, group-committed (./group-commit.ts); other types commit with synchronous=FULL. */
const LAZY = new Set<UplinkMessage['type']>(['GRAD_UPDATE', 'TRAIN_METRICS', 'HEARTBEAT', 'LOG']);

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

const STORED: IngestOutcome = Object.freeze({ status: 'stored' });
const DUPLICATE: IngestOutcome = Object.freeze({ status: 'duplicate' });

export class Ingestor {
  readonly #o: Required<Omit<IngestorOptions, 'log' | 'offload' | 'groupCommit'>> &
    Pick<IngestorOptions, 'log'>;
  readonly #worker: IngestWorker | undefined;
  readonly #group: GroupCommit | undefined;
  #queue: Item[] = [];
  #scheduled = false;
  #stats = { stored: 0, duplicate: 0, rejected: 0, failed: 0 };
  readonly #flushSoon = () => this.#flush();

  constructor(o: IngestorOptions) {
    const { offload, groupCommit, ...rest } = o;
    this.#o = { maxBatch: 512, now: Date.now, ...rest };
    const file = o.store.file;
    if (groupCommit !== false && file !== undefined) {
      this.#group = new GroupCommit(() => o.store.sync(), o.log);
      this.#group.onSynced = () => this.#flush();
      o.store.checkpointInBackground(); // no checkpoint inside a commit (store/checkpointer.ts)
    }
    if (offload === true && file !== undefined) {
      this.#worker = new IngestWorker({
        file,
        bus: o.bus,
        maxBatch: this.#o.maxBatch,
        log: o.log,
        onOutcome: (r) => this.#stats[r.status]++,
      });
    }
  }

  /**
   * Resolves once ingestion can take messages at full speed: the worker thread is up, or failed to
   * start (then everything is ingested in this thread).
   */
  async ready(): Promise<void> {
    await this.#worker?.ready;
  }

  /** Whether GRAD_UPDATE messages currently go to the worker thread. */
  get offloading(): boolean {
    return this.#worker?.alive === true;
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
    // The ACL has parsed the topic already; the worker checks everything again, as below.
    if (this.#worker?.alive && topic.endsWith(GRAD_SUFFIX)) {
      this.#worker.submit(gatewayId, topic, payload, done);
      return;
    }
    let valid: ReturnType<typeof validateUplink>;
    try {
      valid = validateUplink(gatewayId, topic, payload, this.#o.decode);
    } catch (e) {
      const code = e instanceof Rejection || isProtocolError(e) ? e.code : 'MALFORMED';
      const reason = errorText(e);
      this.#enqueue({ kind: 'reject', gatewayId, topic, code, reason, bytes: payload.length });
      this.#stats.rejected++;
      done({ status: 'rejected', code, reason });
      return;
    }
    this.#enqueue({ kind: 'msg', origin: valid.origin, msg: valid.msg, raw: payload, done });
  }

  /** Resolves once everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    await this.#worker?.drain();
    while (this.#queue.length > 0 || this.#scheduled || this.#group?.idle === false) {
      await new Promise((r) => (this.#group?.idle === false ? setTimeout(r, 1) : setImmediate(r)));
    }
  }

  /** Drain, then stop the worker thread (which closes its connection). Later messages are ingested here. */
  async close(): Promise<void> {
    await this.#worker?.close();
    await this.drain();
  }

  /** For tests: kill the worker thread at once, as a crash would. */
  async killWorker(): Promise<void> {
    await this.#worker?.kill();
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  #flush(): void {
    // While every sync slot is taken (./group-commit.ts), telemetry waits and is then committed as one
    // batch (larger batches, fewer commits and syncs); anything else is committed at once.
    const wait =
      this.#group?.syncing && this.#queue.every((i) => i.kind === 'reject' || LAZY.has(i.msg.type));
    if (this.#queue.length === 0 || wait) {
      this.#scheduled = false;
      return;
    }
    const items = this.#queue.splice(0, this.#o.maxBatch);
    const { store, bus } = this.#o;
    const now = this.#o.now();
    // Live events are only built when someone listens (the SSE stream, the OTA block server).
    const live: LiveEvent[] | undefined = bus.size > 0 ? [] : undefined;
    // Telemetry only: group commit (./group-commit.ts); anything else commits with synchronous=FULL.
    const lazy = this.#group !== undefined && items.every((i) => i.kind === 'reject' || LAZY.has(i.msg.type));
    const transaction = <T>(fn: () => T): T => (lazy ? store.lazyTransaction(fn) : store.transaction(fn));
    let outcomes: IngestOutcome[];
    let committed = true;
    try {
      outcomes = transaction(() => this.#applyBatch(items, now, live, false));
    } catch {
      // Something in the batch threw, or the commit failed: nothing of it is stored. Apply it again with a
      // savepoint per message, so only the failing message is dropped.
      if (live) live.length = 0;
      try {
        outcomes = transaction(() => this.#applyBatch(items, now, live, true));
      } catch (e) {
        committed = false;
        // The commit itself failed: nothing of this batch is durable, so nothing may be acknowledged.
        this.#o.log?.('error', 'ingest transaction failed', e);
        const failed: IngestOutcome = { status: 'failed', reason: errorText(e) };
        outcomes = items.map(() => failed);
        if (live) live.length = 0;
      }
    }
    const done = outcomes;
    // Acknowledge (and announce) only what is durable: at once after a FULL commit, after the next
    // fsync of the write-ahead log after a lazy one.
    const release: Release = (failure) => {
      if (live && !failure) for (const e of live) bus.emit(e);
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as Item;
        if (item.kind !== 'msg') continue;
        const outcome = failure ?? done[i] ?? { status: 'failed', reason: 'lost' };
        this.#stats[outcome.status]++;
        item.done(outcome);
      }
    };
    if (!committed || !this.#group) release();
    else if (lazy) this.#group.lazy(release);
    else this.#group.durable(release);
    if (this.#queue.length > 0) setImmediate(this.#flushSoon);
    else this.#scheduled = false;
  }

  /**
   * Apply every item of a batch inside the caller's transaction; `outcomes[i]` belongs to `items[i]`
   * (undefined for the rejections, which are only logged). With `isolate`, each message gets a savepoint.
   */
  #applyBatch(items: Item[], now: number, live: LiveEvent[] | undefined, isolate: boolean): IngestOutcome[] {
    const { store, bus } = this.#o;
    // Stream events of metrics and gradients only for a listener that wants them (not the block server).
    const events = live !== undefined && (bus.wants('gradient') || bus.wants('metrics'));
    // In one piece, the ledger claims and gradient rows are written together at the end; message by
    // message (`isolate`), each at once, inside its message's savepoint.
    const batch: ApplyBatch = { events, sessions: new Map() };
    let ledger: LedgerBatch | undefined;
    if (!isolate) {
      batch.gradients = { rows: [], events: [] };
      ledger = store.ledger.batch();
    }
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
      outcomes[i] = isolate
        ? this.#applyIsolated(item, now, live, batch)
        : this.#apply(item, now, live, batch, ledger);
    }
    ledger?.write();
    if (batch.gradients) writeGradients(store, batch.gradients);
    return outcomes;
  }

  /**
   * One message: its ledger claim, then its effect (PROTOCOL.md §2.5 items 1 and 2). With `ledger`, the
   * batch's claims (written at the end of the batch); without, claimed in the store at once.
   */
  #apply(
    item: MsgItem,
    now: number,
    live: LiveEvent[] | undefined,
    batch: ApplyBatch,
    ledger?: LedgerBatch,
  ): IngestOutcome {
    const { store } = this.#o;
    const { origin, msg, raw } = item;
    // PROTOCOL.md §2.5 item 1: an uplink is identified by (gw, dev or none, id). Heartbeats (QoS 0, no
    // outbox) only refresh "last seen", which is idempotent, so they stay out of the ledger.
    if (msg.type !== 'HEARTBEAT') {
      const sender = `${origin.gatewayId}/${origin.deviceId ?? ''}`;
      const type = MsgType[msg.type as MsgTypeName];
      // A GRAD_UPDATE's row in `gradient_updates` records it (sender, id): no ledger row besides its bit.
      const record = msg.type !== 'GRAD_UPDATE';
      const fresh = ledger
        ? ledger.claimId(sender, msg.id, type, now, record)
        : store.ledger.claim(sender, messageIdHex(msg.id), type, now, record);
      if (!fresh) return DUPLICATE;
    }
    const events = applyMessage(store, origin, msg, raw, now, batch);
    if (live) for (const e of events) live.push(e);
    return STORED;
  }

  /** One message in its own savepoint: a failure undoes only this message, which is dropped and logged. */
  #applyIsolated(
    item: MsgItem,
    now: number,
    live: LiveEvent[] | undefined,
    batch: ApplyBatch,
  ): IngestOutcome {
    const { store } = this.#o;
    const mark = live?.length ?? 0;
    try {
      return store.transaction(() => this.#apply(item, now, live, batch));
    } catch (e) {
      if (live) live.length = mark;
      batch.sessions.clear(); // a session this message created is rolled back with it
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
