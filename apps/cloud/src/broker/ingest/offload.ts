/**
 * Ingestion in a worker thread: the main thread's side. GRAD_UPDATE (PROTOCOL.md §4.4.7), the bulk of the
 * uplink traffic, is decoded, validated, deduplicated and committed by an `Ingestor` running in a worker
 * thread (./worker.ts) with its own connection to the same SQLite file, so that CBOR decoding, SQLite and
 * fsync do not hold up the broker's event loop.
 *
 * Durability is unchanged (PROTOCOL.md §2.5 item 2): the worker commits each batch (ledger rows and
 * gradient rows in one transaction, WAL with synchronous=FULL) and replies only after the commit has
 * returned; the callback given to `submit` runs on that reply, so the broker's PUBACK still means "durably
 * stored". If the worker dies with messages in flight, their callbacks get `failed` (no PUBACK: the gateway
 * resends from its outbox, and the ledger turns the resend into a duplicate if the commit had happened);
 * later messages are ingested in the main thread.
 *
 * Group commit: the main thread copies the payloads of a batch into one buffer and transfers it to the
 * worker with one message. At most MAX_IN_FLIGHT batches are with the worker; meanwhile new messages
 * accumulate into the next batch, so the batches (and the transactions) grow with the load. The worker
 * answers after each commit with one message for all the batches it held (status codes, and the live
 * events of what it committed when the main thread's bus wants them).
 *
 * Opt-in (`IngestorOptions.offload`; `ingestWorker` in the cloud config): on the 2-core reference
 * machine, where the benchmark's publishers and the broker already keep both cores busy, the hand-off
 * costs more CPU than it frees, and inline ingestion reaches the higher rate. With cores to spare, or slow fsync, the worker keeps the broker's
 * event loop free of disk waits.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { LiveBus, LiveEvent } from '../../store/index.js';
import type { IngestCallback, IngestOutcome } from './ingestor.js';

/** What the worker gets as `workerData.init`. */
export interface WorkerInit {
  /** The SQLite file, already migrated by the main thread. */
  file: string;
  maxBatch: number;
}

/**
 * The messages of a batch, ITEM_INTS integers each: the gateway id and the topic as indices into the
 * batch's `strings` (a gateway publishes on a handful of topics), then where the payload lies in `buf`.
 */
export const ITEM_INTS = 4;
/** The details of a `rejected` or `failed` outcome (code is '' for `failed`). */
export type WireNote = [index: number, code: string, reason: string];

export type ToWorker =
  /** `live`: whether the main thread's bus wants the `gradient` events of these messages. */
  | { t: 'batch'; seq: number; live: boolean; buf: ArrayBuffer; strings: string[]; items: Int32Array }
  | { t: 'close' };

/** The answer to one batch: `codes[i]` is the index in STATUS_CODES of the outcome of `items[i]`. */
export type WireAnswer = { seq: number; codes: Uint8Array; notes: WireNote[] };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'done'; answers: WireAnswer[]; live: LiveEvent[] }
  | { t: 'log'; level: 'warn' | 'error'; msg: string; err?: string };

export const STATUS_CODES = ['stored', 'duplicate', 'rejected', 'failed'] as const;

const STORED: IngestOutcome = Object.freeze({ status: 'stored' });
const DUPLICATE: IngestOutcome = Object.freeze({ status: 'duplicate' });

export interface IngestWorkerOptions {
  file: string;
  bus: LiveBus;
  maxBatch: number;
  /** Called with every outcome before the message's own callback (statistics). */
  onOutcome: (outcome: IngestOutcome) => void;
  log?: ((level: 'warn' | 'error', msg: string, err?: unknown) => void) | undefined;
}

type Queued = { gatewayId: string; topic: string; payload: Uint8Array; done: IngestCallback };

/**
 * Batches sent to the worker and not yet answered, at most. One: while the worker commits a batch, the
 * next one grows with everything that arrives meanwhile, so under load a commit (and its fsync) covers as
 * many messages as the gateways have in flight; idle, a message waits for no one.
 */
const MAX_IN_FLIGHT = 1;

const BOOT = new URL('./boot.mjs', import.meta.url);
const ENTRY = new URL(`./worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;

export class IngestWorker {
  readonly #o: IngestWorkerOptions;
  readonly #worker: Worker;
  /** Resolves true once the worker has opened the store, false if it failed to start. */
  readonly ready: Promise<boolean>;
  #state: 'starting' | 'up' | 'dead' | 'closing' = 'starting';
  #queue: Queued[] = [];
  #scheduled = false;
  #seq = 0;
  readonly #inflight = new Map<number, IngestCallback[]>();
  /** Messages submitted and not yet answered. */
  #pending = 0;
  #idle: (() => void)[] = [];
  #closed: Promise<void> | undefined;
  readonly #flushSoon = () => this.#flush();

  constructor(o: IngestWorkerOptions) {
    this.#o = o;
    const init: WorkerInit = { file: o.file, maxBatch: o.maxBatch };
    this.#worker = new Worker(BOOT, { workerData: { entry: ENTRY, init } });
    this.#worker.unref(); // a cloud that forgets close() can still exit; the WAL is consistent after each commit
    this.ready = new Promise<boolean>((resolve) => {
      this.#worker.on('message', (m: FromWorker) => {
        if (m.t === 'done') this.#answer(m);
        else if (m.t === 'ready') {
          if (this.#state === 'starting') this.#state = 'up';
          resolve(true);
        } else this.#o.log?.(m.level, `ingest worker: ${m.msg}`, m.err);
      });
      this.#worker.once('error', (e) => {
        this.#die(e);
        resolve(false);
      });
      this.#worker.once('exit', (code) => {
        this.#die(new Error(`ingest worker exited with code ${code}`));
        resolve(false);
      });
    });
  }

  /** True while new messages may be submitted (starting or up). */
  get alive(): boolean {
    return this.#state === 'starting' || this.#state === 'up';
  }

  get pending(): number {
    return this.#pending;
  }

  /** Queue one message; `done` runs once the worker has committed it (or has refused or failed it). */
  submit(gatewayId: string, topic: string, payload: Uint8Array, done: IngestCallback): void {
    this.#queue.push({ gatewayId, topic, payload, done });
    this.#pending++;
    if (!this.#scheduled && this.#inflight.size < MAX_IN_FLIGHT) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  /** Resolves once every message submitted so far has been answered. */
  drain(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Answer what is pending, then let the worker close its store and exit. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.drain();
      if (this.#state === 'dead') return;
      this.#state = 'closing';
      const exited = once(this.#worker, 'exit');
      this.#worker.postMessage({ t: 'close' } satisfies ToWorker);
      const timer = setTimeout(() => void this.#worker.terminate(), 10_000);
      await exited;
      clearTimeout(timer);
    })();
    return this.#closed;
  }

  /** For tests: stop the worker at once, as a crash would. */
  async kill(): Promise<void> {
    await this.#worker.terminate();
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#inflight.size >= MAX_IN_FLIGHT && this.#state !== 'dead') return; // sent on the next answer
    const items = this.#queue;
    this.#queue = [];
    if (items.length === 0) return;
    if (this.#state === 'dead') {
      this.#fail(
        items.map((q) => q.done),
        'ingest worker is not running',
      );
      return;
    }
    let total = 0;
    for (const q of items) total += q.payload.length;
    // One buffer per batch, transferred: aedes' payloads are views into larger buffers, which a
    // structured clone would copy whole.
    const bytes = new Uint8Array(Buffer.allocUnsafeSlow(total).buffer, 0, total); // unpooled, not zeroed
    const buf = bytes.buffer as ArrayBuffer;
    const wire = new Int32Array(items.length * ITEM_INTS);
    const strings: string[] = [];
    const index = new Map<string, number>();
    const intern = (str: string) => {
      let i = index.get(str);
      if (i === undefined) {
        i = strings.push(str) - 1;
        index.set(str, i);
      }
      return i;
    };
    const dones: IngestCallback[] = new Array(items.length);
    let offset = 0;
    for (let i = 0; i < items.length; i++) {
      const q = items[i] as Queued;
      const at = i * ITEM_INTS;
      bytes.set(q.payload, offset);
      wire[at] = intern(q.gatewayId);
      wire[at + 1] = intern(q.topic);
      wire[at + 2] = offset;
      wire[at + 3] = q.payload.length;
      dones[i] = q.done;
      offset += q.payload.length;
    }
    const seq = ++this.#seq;
    this.#inflight.set(seq, dones);
    const live = this.#o.bus.wants('gradient');
    const msg: ToWorker = { t: 'batch', seq, live, buf, strings, items: wire };
    this.#worker.postMessage(msg, [buf, wire.buffer]);
  }

  #answer(m: Extract<FromWorker, { t: 'done' }>): void {
    for (const e of m.live) this.#o.bus.emit(e);
    for (const a of m.answers) this.#answerBatch(a);
    // What accumulated while the worker was busy goes now, as one batch.
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  #answerBatch(m: WireAnswer): void {
    const dones = this.#inflight.get(m.seq);
    if (!dones) return;
    this.#inflight.delete(m.seq);
    const notes = new Map(m.notes.map((n) => [n[0], n]));
    for (let i = 0; i < dones.length; i++) {
      const code = m.codes[i] ?? 3;
      const note = notes.get(i);
      const outcome: IngestOutcome =
        code === 0
          ? STORED
          : code === 1
            ? DUPLICATE
            : code === 2
              ? { status: 'rejected', code: note?.[1] ?? 'INTERNAL', reason: note?.[2] ?? '' }
              : { status: 'failed', reason: note?.[2] ?? 'ingest worker failed' };
      this.#call(dones[i] as IngestCallback, outcome);
    }
    this.#settle(dones.length);
  }

  #die(e: unknown): void {
    if (this.#state === 'dead') return;
    const expected = this.#state === 'closing';
    this.#state = 'dead';
    const lost = [...this.#inflight.values()].flat();
    this.#inflight.clear();
    if (!expected || lost.length > 0) this.#o.log?.('error', 'ingest worker stopped', e);
    this.#fail(lost, `ingest worker stopped: ${e instanceof Error ? e.message : String(e)}`);
    // What waited for the batch in flight fails too (in #flush), rather than waiting forever.
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  /** Nothing of these was acknowledged as stored: the sender must resend (PROTOCOL.md §2.4 item 3). */
  #fail(dones: IngestCallback[], reason: string): void {
    const failed: IngestOutcome = { status: 'failed', reason };
    for (const done of dones) this.#call(done, failed);
    this.#settle(dones.length);
  }

  #call(done: IngestCallback, outcome: IngestOutcome): void {
    this.#o.onOutcome(outcome);
    try {
      done(outcome);
    } catch (e) {
      this.#o.log?.('error', 'ingest callback threw', e);
    }
  }

  #settle(n: number): void {
    this.#pending -= n;
    if (this.#pending > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}
