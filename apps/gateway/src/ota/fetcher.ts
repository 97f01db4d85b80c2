/**
 * Fetches objects from the cloud by block transfer with resume (PROTOCOL.md §2.7), one transfer per
 * object id however many jobs and devices want it (the site cache downloads once). The pure
 * BlockReceiver decides what to request; this class persists every stored block and the bitmap in the
 * ObjectCache, publishes BLOCK_REQUESTs through the injected channel, and runs the timeouts.
 */
import { isProtocolError, ProtocolError } from '@tinyfleet/protocol/errors';
import {
  type BlockDataMessage,
  type ErrorMessage,
  messageIdHex,
  randomMessageId,
} from '@tinyfleet/protocol/messages';
import { BlockReceiver, type BlockRequest } from '@tinyfleet/protocol/mqtt';
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { ObjectCache } from './cache.js';
import { codeName } from './codes.js';

/** Where BLOCK_REQUESTs go: `tf/v1/gw/{gw}/up/block-req`, QoS 1, not through the outbox (§2.4). */
export interface BlockChannel {
  readonly online: boolean;
  /** Publishes a BLOCK_REQUEST; false when it could not be sent (offline). */
  request(req: BlockRequest & { readonly id: Uint8Array }): boolean;
}

export interface FetcherOptions {
  readonly cache: ObjectCache;
  readonly channel: BlockChannel;
  readonly log: Logger;
  /** §2.7 W, T and R. */
  readonly window?: number;
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
  readonly now?: () => number;
}

export interface FetchStats {
  requests: number;
  blocksStored: number;
  duplicates: number;
  rejected: number;
  /** Blocks already on disk when a transfer was reopened (§2.7 step 8). */
  resumedBlocks: number;
  restarts: number;
}

interface Transfer {
  receiver: BlockReceiver;
  readonly promise: Promise<Uint8Array>;
  readonly resolve: (b: Uint8Array) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** §2.7 step 7: after a SHA_MISMATCH the transfer MAY start over once. */
  restarted: boolean;
}

export class ObjectFetcher {
  readonly stats: FetchStats = {
    requests: 0,
    blocksStored: 0,
    duplicates: 0,
    rejected: 0,
    resumedBlocks: 0,
    restarts: 0,
  };
  readonly #o: FetcherOptions;
  readonly #now: () => number;
  readonly #open = new Map<string, Transfer>();
  /** Request id (hex) -> object id, to match an ERROR on `down/error` (§2.7 step 4). */
  readonly #requests = new Map<string, string>();

  constructor(o: FetcherOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** The object's bytes, from the cache or fetched (§2.7 step 1). Its id is checked; nothing else. */
  fetch(oid: string, size: number): Promise<Uint8Array> {
    const cached = this.#o.cache.read(oid);
    if (cached) return Promise.resolve(cached);
    const open = this.#open.get(oid);
    if (open) return open.promise;
    let resolve!: (b: Uint8Array) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Uint8Array>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const t: Transfer = {
      receiver: this.#receiver(oid, size),
      promise,
      resolve,
      reject,
      timer: undefined,
      restarted: false,
    };
    this.#open.set(oid, t);
    this.#settleOrPump(oid, t);
    return promise;
  }

  /** §2.7 step 1 / step 8: reopen the saved state, or start from nothing. */
  #receiver(oid: string, size: number): BlockReceiver {
    const base = {
      objectId: oid,
      size,
      ...(this.#o.window !== undefined && { window: this.#o.window }),
      ...(this.#o.timeoutMs !== undefined && { timeoutMs: this.#o.timeoutMs }),
      ...(this.#o.maxRetries !== undefined && { maxRetries: this.#o.maxRetries }),
    };
    const saved = this.#o.cache.openPartial(oid, size);
    if (saved) {
      try {
        const r = new BlockReceiver({ ...base, resume: saved });
        this.stats.resumedBlocks += r.received;
        this.#o.log.info('object transfer resumed', { oid, have: r.received, of: r.total });
        return r;
      } catch (e) {
        this.#o.log.warn('saved transfer state unusable; starting over', { oid, error: errorText(e) });
      }
    }
    const r = new BlockReceiver(base);
    this.#o.cache.createPartial(oid, size, r.bitmapBytes());
    return r;
  }

  /** A BLOCK_DATA from `down/block` (§2.7 step 5). */
  onBlock(m: BlockDataMessage): void {
    const t = this.#open.get(m.objectId);
    if (!t) return; // a late answer after completion: ignored (§2.7 step 5)
    let got: ReturnType<BlockReceiver['accept']>;
    try {
      got = t.receiver.accept(m);
    } catch (e) {
      // §2.7 step 5: rejected, changing nothing; the block times out and is requested again.
      this.stats.rejected++;
      this.#o.log.warn('block rejected', { oid: m.objectId, index: m.index, error: errorText(e) });
      return;
    }
    if (got.status === 'duplicate') {
      this.stats.duplicates++;
    } else {
      // §2.7 step 5: the data is durable before the bit is saved.
      this.#o.cache.writeBlock(m.objectId, got.offset, got.data);
      this.#o.cache.saveBitmap(m.objectId, t.receiver.bitmapBytes());
      this.stats.blocksStored++;
    }
    this.#settleOrPump(m.objectId, t);
  }

  /** An ERROR on `down/error` answering one of our requests (§2.7 step 4): the transfer fails. */
  onError(m: ErrorMessage): void {
    if (m.re === undefined) return;
    const oid = this.#requests.get(messageIdHex(m.re));
    const t = oid === undefined ? undefined : this.#open.get(oid);
    if (!t || oid === undefined) return;
    const name = codeName(m.code);
    this.#end(oid, t, new ProtocolError(name, `cloud refused the block request: ${m.text ?? name}`));
  }

  /** The MQTT connection is back (§2.7 step 6): blocks in flight are not, without counting a retry. */
  online(): void {
    for (const [oid, t] of this.#open) {
      t.receiver.forgetInFlight();
      this.#settleOrPump(oid, t);
    }
  }

  stop(): void {
    for (const [oid, t] of [...this.#open])
      this.#end(oid, t, new ProtocolError('INTERNAL', 'gateway stopping'));
  }

  #settleOrPump(oid: string, t: Transfer): void {
    const r = t.receiver;
    if (r.state === 'complete') {
      // §2.7 step 7: the object id matched; the object enters the site cache.
      const obj = r.object();
      this.#o.cache.commit(oid, obj);
      this.#finish(oid, t);
      this.#o.log.info('object fetched', { oid, bytes: obj.length });
      t.resolve(obj);
      return;
    }
    if (r.state === 'failed') {
      const err = r.error ?? new ProtocolError('INTERNAL', 'transfer failed');
      if (err.code === 'SHA_MISMATCH') {
        // §2.7 step 7: discard the data and the bitmap; start over from nothing once.
        this.#o.cache.discardPartial(oid);
        if (!t.restarted) {
          this.stats.restarts++;
          this.#o.log.warn('object failed its id check; fetching it again', { oid });
          t.restarted = true;
          t.receiver = this.#receiver(oid, r.size);
          this.#settleOrPump(oid, t);
          return;
        }
      }
      this.#end(oid, t, err); // TIMEOUT keeps the state on disk for a later attempt (§2.7 step 6)
      return;
    }
    this.#pump(oid, t);
  }

  /** §2.7 steps 3 and 6: request what the window has room for; re-arm the deadline timer. */
  #pump(oid: string, t: Transfer): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    if (!this.#o.channel.online) return; // nothing is sent while offline (§2.7 step 6)
    for (;;) {
      const req = t.receiver.poll(this.#now());
      if (!req) break;
      const id = randomMessageId();
      this.#requests.set(messageIdHex(id), oid);
      this.stats.requests++;
      if (!this.#o.channel.request({ ...req, id })) {
        t.receiver.forgetInFlight();
        return;
      }
    }
    if (t.receiver.state !== 'receiving') {
      this.#settleOrPump(oid, t);
      return;
    }
    const d = t.receiver.nextDeadline();
    if (d === undefined) return;
    t.timer = setTimeout(() => this.#settleOrPump(oid, t), Math.max(0, d - this.#now()));
    t.timer.unref?.();
  }

  #end(oid: string, t: Transfer, e: Error): void {
    this.#finish(oid, t);
    this.#o.log.warn('object transfer failed', {
      oid,
      code: isProtocolError(e) ? e.code : undefined,
      error: e.message,
    });
    t.reject(e);
  }

  #finish(oid: string, t: Transfer): void {
    if (t.timer) clearTimeout(t.timer);
    this.#o.cache.closePartial(oid);
    this.#open.delete(oid);
    for (const [k, v] of this.#requests) if (v === oid) this.#requests.delete(k);
  }
}
