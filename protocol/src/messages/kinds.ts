/** The scalar, string, typed-array, list and enumeration kinds of the catalog (PROTOCOL.md §4.1). */
import type { ConstEntry } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { CborFloat, CborTag } from './cbor/reader.js';
import { Float32, wireInt } from './cbor/writer.js';
import { badField, headBytes, type Kind, num, outOfRange, wrongType } from './kind.js';

const utf8 = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const U32_MAX = 0xffff_ffff;

export interface UintOptions {
  /** How the range reads in the spec, when not min..max. */
  readonly range?: string;
  /** Error code for a value above max (default OUT_OF_RANGE; TOO_LARGE for object sizes). */
  readonly over?: 'OUT_OF_RANGE' | 'TOO_LARGE';
}

/** Unsigned integer (major type 0) in [min, max]. */
export function uint(min = 0, max = U32_MAX, opts: UintOptions = {}): Kind<number> {
  const over = (at: string, v: number | bigint) =>
    new ProtocolError(opts.over ?? 'OUT_OF_RANGE', `${at}: ${v} exceeds ${num(max)}`);
  return {
    info: { k: 'uint', min, max },
    cbor: 'uint',
    range: opts.range ?? `${num(min)}..${num(max)}`,
    maxBytes: headBytes(max),
    decode(v, at) {
      // A negative integer (major type 1) is a wrong type for a uint field (§4.1.7).
      if ((typeof v === 'number' || typeof v === 'bigint') && v < 0)
        throw badField(at, `expected uint, got ${v}`);
      if (typeof v === 'bigint') throw over(at, v);
      if (typeof v !== 'number') throw wrongType(at, 'uint', v);
      if (v > max) throw over(at, v);
      if (v < min) throw outOfRange(at, `${v} is not in ${num(min)}..${num(max)}`);
      return v;
    },
    toWire: (v) => wireInt(v),
  };
}

export interface F32Range {
  readonly min?: number;
  readonly max?: number;
  /** min itself is not allowed (e.g. a scale must be > 0). */
  readonly aboveMin?: boolean;
}

/**
 * float32 value (PROTOCOL.md §4.1.3): written as CBOR float32; read from any float width or an integer,
 * rounded to the nearest float32, which must be finite and in range.
 */
export function f32(r: F32Range = {}): Kind<number> {
  const lo = r.min === undefined ? '' : r.aboveMin ? `> ${r.min}` : `>= ${r.min}`;
  const hi = r.max === undefined ? '' : `<= ${r.max}`;
  return {
    info: { k: 'f32', min: r.min, max: r.max, aboveMin: r.aboveMin },
    cbor: 'float32',
    range:
      r.min !== undefined && r.max !== undefined && !r.aboveMin
        ? `[${r.min}, ${r.max}]`
        : [lo, hi].filter(Boolean).join(', ') || 'finite',
    maxBytes: 9,
    decode(v, at) {
      let x: number;
      if (v instanceof CborFloat) x = v.value;
      else if (typeof v === 'number') x = v;
      else if (typeof v === 'bigint') x = Number(v);
      else throw wrongType(at, 'float', v);
      const f = Math.fround(x);
      if (!Number.isFinite(f)) throw outOfRange(at, `${x} is not a finite float32`);
      if (r.min !== undefined && (f < r.min || (r.aboveMin === true && f === r.min))) {
        throw outOfRange(at, `${f} is below the range ${lo}`);
      }
      if (r.max !== undefined && f > r.max) throw outOfRange(at, `${f} is above ${r.max}`);
      return f;
    },
    toWire: (v) => new Float32(v),
  };
}

export function bool(): Kind<boolean> {
  return {
    info: { k: 'bool' },
    cbor: 'bool',
    range: '',
    maxBytes: 1,
    decode(v, at) {
      if (typeof v !== 'boolean') throw wrongType(at, 'bool', v);
      return v;
    },
    toWire: (v) => v,
  };
}

export interface TextRange {
  readonly min?: number;
  readonly max: number;
  /** Characters allowed (anchored regular expression). */
  readonly pattern?: RegExp;
  /** How the pattern reads in the spec. */
  readonly patternDoc?: string;
}

/** UTF-8 text whose length in bytes is in [min, max]. */
export function text(r: TextRange): Kind<string> {
  const min = r.min ?? 0;
  return {
    info: { k: 'text', min, max: r.max, pattern: r.pattern },
    cbor: 'tstr',
    range: `${r.patternDoc ? `${r.patternDoc}, ` : ''}${min}..${r.max} bytes`,
    maxBytes: headBytes(r.max) + r.max,
    decode(v, at) {
      if (typeof v !== 'string') throw wrongType(at, 'tstr', v);
      const n = utf8.encode(v).length;
      if (n < min || n > r.max) throw outOfRange(at, `${n} bytes is not in ${min}..${r.max}`);
      if (r.pattern && !r.pattern.test(v)) throw badField(at, `${JSON.stringify(v)} is not ${r.patternDoc}`);
      return v;
    },
    toWire(v) {
      if (typeof v !== 'string' || LONE_SURROGATE.test(v)) throw badField('text', 'not well-formed Unicode');
      return v;
    },
  };
}

/** Byte string whose length is in [min, max]. */
export function bytes(min: number, max: number, range?: string): Kind<Uint8Array> {
  return {
    info: { k: 'bytes', min, max },
    cbor: 'bstr',
    range: range ?? (min === max ? `${min} bytes` : `${min}..${num(max)} bytes`),
    maxBytes: headBytes(max) + max,
    decode(v, at) {
      if (!(v instanceof Uint8Array)) throw wrongType(at, 'bstr', v);
      if (v.length < min || v.length > max)
        throw outOfRange(at, `${v.length} bytes is not in ${min}..${max}`);
      return v;
    },
    toWire: (v) => v,
  };
}

/** RFC 8746 uint16 little-endian typed array, tag 69, with [min, max] elements (PROTOCOL.md §4.1.4). */
export function u16s(min: number, max: number): Kind<Uint16Array> {
  return {
    info: { k: 'u16s', min, max },
    cbor: 'tag 69 (uint16 LE)',
    range: `${min}..${max} elements`,
    maxBytes: 2 + headBytes(2 * max) + 2 * max,
    decode(v, at) {
      if (!(v instanceof CborTag) || v.tag !== 69) throw wrongType(at, 'tag 69 (uint16 LE typed array)', v);
      const n = v.bytes.length / 2;
      if (n < min || n > max) throw outOfRange(at, `${n} elements is not in ${min}..${max}`);
      const view = new DataView(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength);
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return out;
    },
    toWire: (v) => v,
  };
}

/** Array of [min, max] items of one kind. */
export function list<T>(of: Kind<T>, min: number, max: number): Kind<T[]> {
  return {
    info: { k: 'list', of: of as Kind<unknown>, min, max },
    cbor: `array of ${of.cbor}`,
    range: `${min}..${max} items${of.range ? `, each ${of.range}` : ''}`,
    maxBytes: headBytes(max) + max * of.maxBytes,
    decode(v, at) {
      if (!Array.isArray(v)) throw wrongType(at, 'array', v);
      if (v.length < min || v.length > max)
        throw outOfRange(at, `${v.length} items is not in ${min}..${max}`);
      return v.map((x, i) => of.decode(x, `${at}[${i}]`));
    },
    toWire: (v) => v.map((x) => of.toWire(x)),
  };
}

/** A value of a constants-table group, carried as its uint value, named in TypeScript. */
export function enumeration<E extends readonly ConstEntry[]>(
  entries: E,
  table: string,
): Kind<E[number]['name']> {
  const byValue = new Map(entries.map((e) => [e.value, e.name]));
  const byName = new Map(entries.map((e) => [e.name, e.value]));
  const max = Math.max(...entries.map((e) => e.value));
  return {
    info: { k: 'enum', names: entries.map((e) => e.name) },
    cbor: 'uint',
    range: table,
    maxBytes: headBytes(max),
    decode(v, at) {
      if ((typeof v === 'number' || typeof v === 'bigint') && v < 0)
        throw badField(at, `expected uint, got ${v}`);
      if (typeof v === 'bigint') throw outOfRange(at, `${v} is not a ${table} value`);
      if (typeof v !== 'number') throw wrongType(at, 'uint', v);
      const name = byValue.get(v);
      if (name === undefined) throw outOfRange(at, `${v} is not a ${table} value`);
      return name;
    },
    toWire(v) {
      const value = byName.get(v);
      if (value === undefined) throw badField(table, `unknown name ${JSON.stringify(v)}`);
      return value;
    },
  };
}
