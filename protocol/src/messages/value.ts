/**
 * Free-form values of gateway-level messages: GW_COMMAND "args" and GW_COMMAND_RESULT "res"
 * (PROTOCOL.md §4.7). JSON plus byte strings: null, bool, integers, floats, text, bstr, arrays and maps
 * with text keys. No tags. Bounded by the limits below and by P.MESSAGE_MAX_DEPTH.
 */
import { CborFloat, type CborValue } from './cbor/reader.js';
import { wireInt } from './cbor/writer.js';
import { badField, type Kind, outOfRange } from './fields.js';

export type Value = null | boolean | number | string | Uint8Array | Value[] | { [key: string]: Value };
export type ValueMap = { [key: string]: Value };

/** Limits of free-form values (PROTOCOL.md §4.7). */
export const VALUE_LIMITS = {
  /** Longest text, in UTF-8 bytes. */
  textBytes: 1024,
  /** Longest byte string. */
  bytes: 65536,
  /** Most items of an array, most entries of a map. */
  items: 256,
} as const;

const utf8 = new TextEncoder();

function decodeValue(v: CborValue, at: string): Value {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') throw outOfRange(at, `integer ${v} is outside +-(2^53-1)`);
  if (v instanceof CborFloat) {
    if (!Number.isFinite(v.value)) throw outOfRange(at, `${v.value} is not finite`);
    return v.value;
  }
  if (typeof v === 'string') {
    if (utf8.encode(v).length > VALUE_LIMITS.textBytes) throw outOfRange(at, 'text too long');
    return v;
  }
  if (v instanceof Uint8Array) {
    if (v.length > VALUE_LIMITS.bytes) throw outOfRange(at, 'byte string too long');
    return v;
  }
  if (Array.isArray(v)) {
    if (v.length > VALUE_LIMITS.items) throw outOfRange(at, `${v.length} items`);
    return v.map((x, i) => decodeValue(x, `${at}[${i}]`));
  }
  if (v instanceof Map) {
    if (v.size > VALUE_LIMITS.items) throw outOfRange(at, `${v.size} entries`);
    // Object.fromEntries defines own properties, so a "__proto__" key stays a plain key.
    return Object.fromEntries([...v].map(([k, x]) => [k, decodeValue(x, `${at}.${k}`)]));
  }
  throw badField(at, `tag ${v.tag} is not allowed in a free-form value`);
}

function valueToWire(v: Value, at: string): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || v instanceof Uint8Array) return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw badField(at, `${v} is not finite`);
    // Safe integers are CBOR integers; other numbers (also integral ones beyond 2^53) are floats.
    return Number.isSafeInteger(v) ? wireInt(v) : v;
  }
  if (Array.isArray(v)) return v.map((x, i) => valueToWire(x, `${at}[${i}]`));
  const proto = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, valueToWire(x, `${at}.${k}`)]));
  }
  throw badField(at, `${typeof v} is not a free-form value`);
}

/** Any free-form value. */
export function anyValue(maxBytes: number): Kind<Value> {
  return {
    info: { k: 'any' },
    cbor: 'any',
    range: 'free-form (§4.7.4)',
    maxBytes,
    decode: (v, at) => decodeValue(v, at),
    toWire: (v) => valueToWire(v, 'value'),
  };
}

/** A free-form map (text keys). */
export function anyMap(maxBytes: number): Kind<ValueMap> {
  return {
    info: { k: 'anyMap' },
    cbor: 'map',
    range: 'free-form (§4.7.4)',
    maxBytes,
    decode(v, at) {
      if (!(v instanceof Map)) throw badField(at, 'expected a map');
      return decodeValue(v, at) as ValueMap;
    },
    toWire(v) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
        throw badField('args', 'expected a map');
      }
      return valueToWire(v, 'args');
    },
  };
}
