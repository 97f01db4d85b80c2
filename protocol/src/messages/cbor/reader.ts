/**
 * Strict reader for the CBOR profile of the message catalog (PROTOCOL.md §4.1.2).
 *
 * It accepts exactly the RFC 8949 items a message may contain: definite-length integers, byte and text
 * strings, arrays, maps with text keys, false/true/null, floats of any width, and the typed-array tags of
 * §4.1.4 wrapping a byte string. Anything else, trailing bytes, duplicate keys, invalid UTF-8 and nesting
 * deeper than P.MESSAGE_MAX_DEPTH are rejected with a ProtocolError; no other exception escapes.
 * Floats stay distinguishable from integers (CborFloat), so a decoder can refuse `2.0` for a uint field.
 */
import { P } from '../../constants/index.js';
import { ProtocolError } from '../../errors.js';

/** A CBOR float (major type 7, 16/32/64 bits). */
export class CborFloat {
  constructor(
    readonly value: number,
    /** Width on the wire in bytes. */
    readonly width: 2 | 4 | 8,
  ) {}
}

/** An RFC 8746 typed array: a tag wrapping a byte string (PROTOCOL.md §4.1.4). */
export class CborTag {
  constructor(
    readonly tag: number,
    readonly bytes: Uint8Array,
  ) {}
}

export type CborMap = Map<string, CborValue>;
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | CborFloat
  | CborTag
  | CborValue[]
  | CborMap;

/** Tags a message may carry, with their element size in bytes (PROTOCOL.md §4.1.4). */
export const TYPED_ARRAY_TAGS: ReadonlyMap<number, number> = new Map([
  [69, 2], // uint16, little-endian
  [78, 4], // int32, little-endian
  [85, 4], // float32, little-endian
]);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(why: string): ProtocolError {
  return new ProtocolError('MALFORMED', `CBOR: ${why} (§4.1.2)`);
}

function float16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number | bigint): number {
    if (typeof n === 'bigint' || n > this.remaining) {
      throw new ProtocolError('TRUNCATED', `CBOR: input ends inside an item at offset ${this.pos}`);
    }
    return n;
  }

  /** Reads an initial byte and its argument. Indefinite lengths and reserved values are rejected. */
  private head(): { major: number; ai: number; arg: number | bigint } {
    this.need(1);
    const b = this.buf[this.pos++]!;
    const major = b >> 5;
    const ai = b & 0x1f;
    if (ai < 24) return { major, ai, arg: ai };
    if (ai === 31) {
      if (major === 7) throw malformed(`break byte outside an indefinite-length item at ${this.pos - 1}`);
      throw malformed(`indefinite length at offset ${this.pos - 1}; messages use definite lengths`);
    }
    if (ai > 27) throw malformed(`reserved additional information ${ai} at offset ${this.pos - 1}`);
    const n = 1 << (ai - 24);
    this.need(n);
    let arg: number | bigint;
    if (n === 1) arg = this.view.getUint8(this.pos);
    else if (n === 2) arg = this.view.getUint16(this.pos);
    else if (n === 4) arg = this.view.getUint32(this.pos);
    else {
      const big = this.view.getBigUint64(this.pos);
      arg = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    this.pos += n;
    return { major, ai, arg };
  }

  private bytes(len: number | bigint): Uint8Array {
    const n = this.need(len);
    // A copy in a plain Uint8Array: the input may be a Buffer (whose slice() aliases) or a reused buffer.
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  item(depth: number): CborValue {
    const { major, ai, arg } = this.head();
    switch (major) {
      case 0:
        return arg;
      case 1:
        return typeof arg === 'number' ? -1 - arg : -1n - arg;
      case 2:
        return this.bytes(arg);
      case 3:
        return this.text(arg);
      case 4:
        return this.array(arg, depth + 1);
      case 5:
        return this.map(arg, depth + 1);
      case 6:
        return this.tag(arg, depth + 1);
      default:
        return this.simple(ai, arg);
    }
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) throw malformed(`nesting deeper than ${this.maxDepth}`);
  }

  private text(len: number | bigint): string {
    const raw = this.bytes(len);
    try {
      return utf8.decode(raw);
    } catch (e) {
      throw new ProtocolError('MALFORMED', 'CBOR: text string is not valid UTF-8 (§4.1.2)', { cause: e });
    }
  }

  private array(count: number | bigint, depth: number): CborValue[] {
    this.enter(depth);
    this.need(count); // every item takes at least one byte: fail early on absurd counts
    const out: CborValue[] = [];
    for (let i = 0; i < count; i++) out.push(this.item(depth));
    return out;
  }

  private map(count: number | bigint, depth: number): CborMap {
    this.enter(depth);
    this.need(typeof count === 'number' ? count * 2 : count);
    const out: CborMap = new Map();
    for (let i = 0; i < count; i++) {
      const at = this.pos;
      const key = this.item(depth);
      if (typeof key !== 'string') throw malformed(`map key at offset ${at} is not a text string`);
      if (out.has(key)) throw malformed(`duplicate map key ${JSON.stringify(key)}`);
      out.set(key, this.item(depth));
    }
    return out;
  }

  private tag(tag: number | bigint, depth: number): CborTag {
    this.enter(depth);
    const size = typeof tag === 'number' ? TYPED_ARRAY_TAGS.get(tag) : undefined;
    if (size === undefined) throw malformed(`tag ${tag} is not allowed`);
    const at = this.pos;
    const inner = this.head();
    if (inner.major !== 2) throw malformed(`tag ${tag} at offset ${at} does not wrap a byte string`);
    const bytes = this.bytes(inner.arg);
    if (bytes.length % size !== 0)
      throw malformed(`tag ${tag}: ${bytes.length} bytes is not a multiple of ${size}`);
    return new CborTag(tag as number, bytes);
  }

  private simple(ai: number, arg: number | bigint): CborValue {
    if (ai === 20) return false;
    if (ai === 21) return true;
    if (ai === 22) return null;
    const at = this.pos;
    if (ai === 25) return new CborFloat(float16(arg as number), 2);
    if (ai === 26) return new CborFloat(this.view.getFloat32(at - 4), 4);
    if (ai === 27) return new CborFloat(this.view.getFloat64(at - 8), 8);
    throw malformed(`simple value ${ai === 24 ? arg : ai} is not allowed`);
  }

  done(): void {
    if (this.remaining !== 0) throw malformed(`${this.remaining} trailing bytes after the message`);
  }
}

/**
 * Decodes exactly one CBOR item filling `bytes` (PROTOCOL.md §4.1.2). Throws ProtocolError only:
 * TRUNCATED when the input ends early, MALFORMED for anything outside the profile.
 */
export function readCbor(bytes: Uint8Array, maxDepth: number = P.MESSAGE_MAX_DEPTH): CborValue {
  const r = new Reader(bytes, maxDepth);
  try {
    const v = r.item(0);
    r.done();
    return v;
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    // Defensive: the reader only throws ProtocolError by construction, but never let anything else out.
    throw new ProtocolError('MALFORMED', `CBOR: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
