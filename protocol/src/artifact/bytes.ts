/** Range-checked little-endian field access for the artifact writer and reader (PROTOCOL.md §1.2). */
import { ProtocolError } from '../errors.js';

/** Writes fields little-endian, refusing values that do not fit (never wraps silently). */
export class FieldWriter {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private int(v: number, min: number, max: number, what: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ProtocolError('OUT_OF_RANGE', `${what}: ${String(v)} is not an integer in [${min}, ${max}]`);
    }
    return v;
  }

  u8(off: number, v: number, what: string): void {
    this.view.setUint8(off, this.int(v, 0, 0xff, what));
  }

  u16(off: number, v: number, what: string): void {
    this.view.setUint16(off, this.int(v, 0, 0xffff, what), true);
  }

  u32(off: number, v: number, what: string): void {
    this.view.setUint32(off, this.int(v, 0, 0xffffffff, what), true);
  }

  i32(off: number, v: number, what: string): void {
    this.view.setInt32(off, this.int(v, -0x80000000, 0x7fffffff, what), true);
  }

  /** Stores float32; the reader rejects values that are not finite or out of their field's range. */
  f32(off: number, v: number, what: string): void {
    if (typeof v !== 'number') throw new ProtocolError('BAD_FIELD', `${what}: not a number`);
    this.view.setFloat32(off, v, true);
  }

  raw(off: number, src: Uint8Array): void {
    this.bytes.set(src, off);
  }
}

/** Reads fields little-endian; the reader checks bounds before it reads a structure. */
export class FieldReader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(off: number): number {
    return this.view.getUint8(off);
  }

  u16(off: number): number {
    return this.view.getUint16(off, true);
  }

  u32(off: number): number {
    return this.view.getUint32(off, true);
  }

  i32(off: number): number {
    return this.view.getInt32(off, true);
  }

  f32(off: number): number {
    return this.view.getFloat32(off, true);
  }

  /** True when bytes [from, to) are all zero (reserved fields and padding). */
  zero(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (this.bytes[i] !== 0) return false;
    return true;
  }
}

/** Throws `code` with `message` unless `ok`. */
export function check(ok: boolean, code: ProtocolError['code'], message: string): asserts ok {
  if (!ok) throw new ProtocolError(code, message);
}
