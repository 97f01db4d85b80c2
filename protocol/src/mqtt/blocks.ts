/**
 * Block math and the block bitmap of block transfer (PROTOCOL.md §2.7). Pure; no I/O.
 */
import { createHash } from 'node:crypto';
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';

/** Object ids are the lowercase hex SHA-256 of the object (PROTOCOL.md §2.7). */
export const OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/;

export function isObjectId(s: string): boolean {
  return OBJECT_ID_PATTERN.test(s);
}

/** The object id of `bytes`: lowercase hex SHA-256 (PROTOCOL.md §2.7). */
export function objectIdOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkInt(v: number, what: string, min: number, max: number): void {
  if (!Number.isSafeInteger(v)) throw new ProtocolError('BAD_FIELD', `${what} ${v} is not an integer`);
  if (v < min || v > max) throw new ProtocolError('OUT_OF_RANGE', `${what} ${v} is outside [${min}, ${max}]`);
}

/** Throws unless `size` is a transferable object size: 1 .. P.BLOCK_MAX_OBJECT_BYTES (PROTOCOL.md §2.7). */
export function validateObjectSize(size: number): void {
  if (Number.isSafeInteger(size) && size > P.BLOCK_MAX_OBJECT_BYTES) {
    throw new ProtocolError('TOO_LARGE', `object of ${size} bytes exceeds ${P.BLOCK_MAX_OBJECT_BYTES}`);
  }
  checkInt(size, 'object size', 1, P.BLOCK_MAX_OBJECT_BYTES);
}

/** Throws unless `blockSize` is 1 .. P.OTA_BLOCK_BYTES (version 1 sends P.OTA_BLOCK_BYTES; §2.7). */
export function validateBlockSize(blockSize: number): void {
  checkInt(blockSize, 'block size', 1, P.OTA_BLOCK_BYTES);
}

/** Number of blocks of an object: ceil(size / blockSize) (PROTOCOL.md §2.7). */
export function blockCount(size: number, blockSize: number = P.OTA_BLOCK_BYTES): number {
  validateObjectSize(size);
  validateBlockSize(blockSize);
  return Math.ceil(size / blockSize);
}

/** Byte offset of block `index`. */
export function blockOffset(index: number, blockSize: number = P.OTA_BLOCK_BYTES): number {
  return index * blockSize;
}

/** Length of block `index`: blockSize, except the last block, which holds the rest (PROTOCOL.md §2.7). */
export function blockLength(size: number, index: number, blockSize: number = P.OTA_BLOCK_BYTES): number {
  const count = blockCount(size, blockSize);
  checkInt(index, 'block index', 0, count - 1);
  return Math.min(blockSize, size - index * blockSize);
}

/** Block `index` of `object`, as a view (no copy). */
export function sliceBlock(
  object: Uint8Array,
  index: number,
  blockSize: number = P.OTA_BLOCK_BYTES,
): Uint8Array {
  const len = blockLength(object.length, index, blockSize);
  const off = blockOffset(index, blockSize);
  return object.subarray(off, off + len);
}

/**
 * One bit per block (PROTOCOL.md §2.7): block i is bit (i mod 8) of byte floor(i / 8), least significant
 * bit first; the byte length is exactly ceil(count / 8) and the spare high bits of the last byte are zero.
 */
export class BlockBitmap {
  readonly count: number;
  readonly #bytes: Uint8Array;
  #set = 0;

  constructor(count: number) {
    checkInt(count, 'block count', 0, P.BLOCK_MAX_OBJECT_BYTES);
    this.count = count;
    this.#bytes = new Uint8Array(BlockBitmap.byteLength(count));
  }

  static byteLength(count: number): number {
    return Math.ceil(count / 8);
  }

  /** Parse a serialized bitmap of `count` blocks, validating its length and spare bits. */
  static fromBytes(bytes: Uint8Array, count: number): BlockBitmap {
    const map = new BlockBitmap(count);
    const want = map.#bytes.length;
    if (bytes.length < want)
      throw new ProtocolError('TRUNCATED', `bitmap of ${bytes.length} bytes, want ${want}`);
    if (bytes.length > want)
      throw new ProtocolError('TOO_LARGE', `bitmap of ${bytes.length} bytes, want ${want}`);
    const spare = count % 8;
    const last = bytes[want - 1];
    if (spare !== 0 && last !== undefined && last >> spare !== 0) {
      throw new ProtocolError('BAD_FIELD', 'bitmap has bits set past the last block');
    }
    map.#bytes.set(bytes);
    for (const b of bytes) map.#set += popcount8(b);
    return map;
  }

  static fromIndices(count: number, indices: Iterable<number>): BlockBitmap {
    const map = new BlockBitmap(count);
    for (const i of indices) map.set(i);
    return map;
  }

  #check(index: number): void {
    checkInt(index, 'block index', 0, this.count - 1);
  }

  has(index: number): boolean {
    this.#check(index);
    return ((this.#bytes[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
  }

  /** Set bit `index`; true when it was not set before. */
  set(index: number): boolean {
    if (this.has(index)) return false;
    this.#bytes[index >> 3]! |= 1 << (index & 7);
    this.#set++;
    return true;
  }

  /** Clear bit `index`; true when it was set before. */
  clear(index: number): boolean {
    if (!this.has(index)) return false;
    this.#bytes[index >> 3]! &= ~(1 << (index & 7));
    this.#set--;
    return true;
  }

  /** Number of bits set. */
  get setCount(): number {
    return this.#set;
  }

  get missingCount(): number {
    return this.count - this.#set;
  }

  get complete(): boolean {
    return this.#set === this.count;
  }

  /** Indices of clear bits, ascending, from `from` on. Skips full bytes. */
  *missing(from = 0): Generator<number> {
    for (let i = Math.max(0, from); i < this.count; ) {
      if ((i & 7) === 0 && this.#bytes[i >> 3] === 0xff) {
        i += 8;
        continue;
      }
      if (!this.has(i)) yield i;
      i++;
    }
  }

  /** Indices of set bits, ascending. */
  *present(): Generator<number> {
    for (let i = 0; i < this.count; i++) if (this.has(i)) yield i;
  }

  /** Up to `n` lowest missing indices for which `skip` is not true. */
  nextMissing(n: number, skip?: (index: number) => boolean): number[] {
    const out: number[] = [];
    if (n <= 0) return out;
    for (const i of this.missing()) {
      if (skip?.(i)) continue;
      out.push(i);
      if (out.length >= n) break;
    }
    return out;
  }

  /** The serialized form (a copy). */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  clone(): BlockBitmap {
    return BlockBitmap.fromBytes(this.#bytes, this.count);
  }
}

function popcount8(b: number): number {
  let n = 0;
  for (let x = b; x !== 0; x &= x - 1) n++;
  return n;
}
