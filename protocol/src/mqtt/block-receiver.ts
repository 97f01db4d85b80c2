/**
 * The receiving side of block transfer with resume (PROTOCOL.md §2.7), as a pure state machine: it is fed
 * BLOCK_DATA-like values and the time, and returns BLOCK_REQUEST-like values. It holds the object in
 * memory; the caller persists each stored block and the bitmap, and passes both back in to resume.
 */
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import {
  BlockBitmap,
  blockCount,
  blockLength,
  blockOffset,
  isObjectId,
  objectIdOf,
  validateBlockSize,
  validateObjectSize,
} from './blocks.js';

/** Fields of a BLOCK_REQUEST (§4.7); the message codec adds the envelope. */
export interface BlockRequest {
  readonly objectId: string;
  readonly size: number;
  readonly blockSize: number;
  /** Bitmap (§2.7 layout) of the blocks wanted now. */
  readonly wanted: Uint8Array;
  /** The same blocks as indices, ascending (not sent). */
  readonly indices: readonly number[];
}

/** Fields of a BLOCK_DATA (§4.8). */
export interface BlockData {
  readonly objectId: string;
  readonly index: number;
  readonly total: number;
  readonly data: Uint8Array;
}

export type BlockAccepted =
  | { readonly status: 'stored'; readonly index: number; readonly offset: number; readonly data: Uint8Array }
  | { readonly status: 'duplicate'; readonly index: number };

export type ReceiverState = 'receiving' | 'complete' | 'failed';

/** Default wait for a requested block before it is requested again (PROTOCOL.md §2.7). */
export const DEFAULT_BLOCK_TIMEOUT_MS = 10_000;
/** Default number of consecutive timeouts without progress before the transfer fails (PROTOCOL.md §2.7). */
export const DEFAULT_BLOCK_MAX_RETRIES = 5;

export interface BlockReceiverOptions {
  /** Lowercase hex SHA-256 of the object. */
  readonly objectId: string;
  readonly size: number;
  /** Default P.OTA_BLOCK_BYTES. */
  readonly blockSize?: number;
  /** Blocks in flight at most, 1 .. P.BLOCK_MAX_BURST; default P.BLOCK_MAX_BURST. */
  readonly window?: number;
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
  /** Saved state to resume from: the bitmap and the object-sized buffer holding the blocks it marks. */
  readonly resume?: { readonly bitmap: Uint8Array; readonly data: Uint8Array };
}

export class BlockReceiver {
  readonly objectId: string;
  readonly size: number;
  readonly blockSize: number;
  readonly total: number;
  readonly window: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly #bitmap: BlockBitmap;
  readonly #buf: Uint8Array;
  /** Requested and not yet received: index -> deadline (ms). */
  readonly #inFlight = new Map<number, number>();
  #retries = 0;
  #state: ReceiverState = 'receiving';
  #error: ProtocolError | undefined;

  constructor(opts: BlockReceiverOptions) {
    if (!isObjectId(opts.objectId))
      throw new ProtocolError('BAD_FIELD', 'object id is not lowercase sha256 hex');
    validateObjectSize(opts.size);
    const blockSize = opts.blockSize ?? P.OTA_BLOCK_BYTES;
    validateBlockSize(blockSize);
    const window = opts.window ?? P.BLOCK_MAX_BURST;
    if (!Number.isInteger(window) || window < 1 || window > P.BLOCK_MAX_BURST) {
      throw new ProtocolError('OUT_OF_RANGE', `window ${window} is outside [1, ${P.BLOCK_MAX_BURST}]`);
    }
    this.objectId = opts.objectId;
    this.size = opts.size;
    this.blockSize = blockSize;
    this.total = blockCount(opts.size, blockSize);
    this.window = window;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_BLOCK_TIMEOUT_MS;
    this.maxRetries = opts.maxRetries ?? DEFAULT_BLOCK_MAX_RETRIES;
    if (!(this.timeoutMs > 0) || !Number.isInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new ProtocolError('OUT_OF_RANGE', 'timeoutMs must be > 0 and maxRetries an integer >= 0');
    }
    if (opts.resume) {
      // PROTOCOL.md §2.7 step 8: resume from the durable bitmap and data.
      this.#bitmap = BlockBitmap.fromBytes(opts.resume.bitmap, this.total);
      if (opts.resume.data.length !== opts.size) {
        throw new ProtocolError(
          'BAD_FIELD',
          `resume buffer of ${opts.resume.data.length} bytes, want ${opts.size}`,
        );
      }
      this.#buf = opts.resume.data.slice();
      if (this.#bitmap.complete) this.#verify();
    } else {
      this.#bitmap = new BlockBitmap(this.total);
      this.#buf = new Uint8Array(opts.size);
    }
  }

  get state(): ReceiverState {
    return this.#state;
  }

  /** Why the transfer failed: SHA_MISMATCH or TIMEOUT. */
  get error(): ProtocolError | undefined {
    return this.#error;
  }

  get received(): number {
    return this.#bitmap.setCount;
  }

  /** The durable bitmap to save after each stored block (PROTOCOL.md §2.7 step 5). */
  bitmapBytes(): Uint8Array {
    return this.#bitmap.toBytes();
  }

  /** Blocks requested and not yet received. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The complete, verified object. Throws BAD_STATE before completion. */
  object(): Uint8Array {
    if (this.#state !== 'complete') throw new ProtocolError('BAD_STATE', `transfer is ${this.#state}`);
    return this.#buf;
  }

  /** Earliest time at which poll() has something to do, or undefined when nothing is in flight. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const d of this.#inFlight.values()) if (min === undefined || d < min) min = d;
    return min;
  }

  /**
   * Forget what is in flight, e.g. after the MQTT connection was lost: the next poll() requests those
   * blocks again without counting a retry.
   */
  forgetInFlight(): void {
    this.#inFlight.clear();
  }

  /**
   * Advance time (PROTOCOL.md §2.7 steps 3 and 6): expire overdue blocks, fail after too many timeouts
   * without progress, and return the next request when the window has room, else undefined.
   */
  poll(nowMs: number): BlockRequest | undefined {
    if (this.#state !== 'receiving') return undefined;
    let expired = false;
    for (const [index, deadline] of this.#inFlight) {
      if (deadline <= nowMs) {
        this.#inFlight.delete(index);
        expired = true;
      }
    }
    if (expired && ++this.#retries > this.maxRetries) {
      this.#fail(
        new ProtocolError('TIMEOUT', `no block for ${this.#retries} timeouts of ${this.timeoutMs} ms`),
      );
      return undefined;
    }
    // Refill when half the window has drained (or at once after a timeout), so requests come in batches.
    if (!expired && this.#inFlight.size > Math.floor(this.window / 2)) return undefined;
    const indices = this.#bitmap.nextMissing(this.window - this.#inFlight.size, (i) => this.#inFlight.has(i));
    if (indices.length === 0) return undefined;
    for (const i of indices) this.#inFlight.set(i, nowMs + this.timeoutMs);
    const wanted = BlockBitmap.fromIndices(this.total, indices).toBytes();
    return { objectId: this.objectId, size: this.size, blockSize: this.blockSize, wanted, indices };
  }

  /**
   * Take one BLOCK_DATA (PROTOCOL.md §2.7 step 5). Throws ProtocolError, changing nothing, for another
   * object (BAD_FIELD), a wrong total (BAD_FIELD), an index out of range (OUT_OF_RANGE) or a wrong length
   * (BAD_FIELD); a block already held is a harmless duplicate. When the last block arrives the object is
   * verified against its id (PROTOCOL.md §2.7 step 7) and the state becomes complete or failed.
   * The caller routes BLOCK_DATA by object id and ignores those of no open transfer (§2.7 step 5).
   */
  accept(block: BlockData): BlockAccepted {
    if (this.#state === 'failed') throw new ProtocolError('BAD_STATE', 'transfer has failed');
    if (block.objectId !== this.objectId) throw new ProtocolError('BAD_FIELD', 'block of another object');
    if (block.total !== this.total) {
      throw new ProtocolError('BAD_FIELD', `block says ${block.total} blocks, object has ${this.total}`);
    }
    if (!Number.isInteger(block.index) || block.index < 0 || block.index >= this.total) {
      throw new ProtocolError('OUT_OF_RANGE', `block index ${block.index} outside [0, ${this.total})`);
    }
    const want = blockLength(this.size, block.index, this.blockSize);
    if (block.data.length !== want) {
      throw new ProtocolError(
        'BAD_FIELD',
        `block ${block.index} has ${block.data.length} bytes, want ${want}`,
      );
    }
    this.#inFlight.delete(block.index);
    if (this.#bitmap.has(block.index)) return { status: 'duplicate', index: block.index };
    const offset = blockOffset(block.index, this.blockSize);
    this.#buf.set(block.data, offset);
    this.#bitmap.set(block.index);
    this.#retries = 0;
    if (this.#bitmap.complete) this.#verify();
    return { status: 'stored', index: block.index, offset, data: block.data };
  }

  #verify(): void {
    const got = objectIdOf(this.#buf);
    if (got === this.objectId) {
      this.#state = 'complete';
      this.#inFlight.clear();
    } else {
      this.#fail(new ProtocolError('SHA_MISMATCH', `object sha256 ${got} is not ${this.objectId}`));
    }
  }

  #fail(error: ProtocolError): void {
    this.#state = 'failed';
    this.#error = error;
    this.#inFlight.clear();
  }
}
