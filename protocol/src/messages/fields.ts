/**
 * Fields and maps of the catalog (PROTOCOL.md §4.1): a field is a key, a kind, required or not, and its
 * documentation; a set of fields decodes a CBOR map into an object and encodes it back.
 */
import type { CborMap } from './cbor/reader.js';
import { badField, headBytes, type Kind, wrongType } from './kind.js';

export * from './kind.js';
export * from './kinds.js';

// ---- nested maps -----------------------------------------------------------------------------------

export interface Field<T, R extends boolean = boolean> {
  readonly key: string;
  readonly kind: Kind<T>;
  readonly required: R;
  readonly doc: string;
  readonly unit?: string | undefined;
}

/** A required field. */
export function req<T>(key: string, kind: Kind<T>, doc: string, unit?: string): Field<T, true> {
  return { key, kind, required: true, doc, unit };
}

/** An optional field: absent means the documented default. */
export function opt<T>(key: string, kind: Kind<T>, doc: string, unit?: string): Field<T, false> {
  return { key, kind, required: false, doc, unit };
}

export type Fields = Readonly<Record<string, Field<unknown>>>;
type ValueOf<F> = F extends Field<infer T, boolean> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** TypeScript shape of a set of fields: required ones required, optional ones optional. */
export type BodyOf<F extends Fields> = Simplify<
  { [K in keyof F as F[K] extends Field<unknown, true> ? K : never]: ValueOf<F[K]> } & {
    [K in keyof F as F[K] extends Field<unknown, true> ? never : K]?: ValueOf<F[K]>;
  }
>;

/** Decodes the known keys of `map` into an object keyed by property name; unknown keys are ignored (§1.3). */
export function decodeFields(map: CborMap, fields: Fields, at: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [prop, f] of Object.entries(fields)) {
    const v = map.get(f.key);
    if (v === undefined) {
      if (f.required) throw badField(`${at}.${f.key}`, 'required field is missing');
      continue;
    }
    out[prop] = f.kind.decode(v, `${at}.${f.key}`);
  }
  return out;
}

/** Writes the fields of `obj` into `wire` (a plain object the CBOR writer turns into a map). */
export function encodeFields(
  obj: Readonly<Record<string, unknown>>,
  fields: Fields,
  wire: Record<string, unknown>,
): void {
  for (const [prop, f] of Object.entries(fields)) {
    const v = obj[prop];
    if (v === undefined) {
      if (f.required) throw badField(f.key, `required field ${prop} is missing`);
      continue;
    }
    wire[f.key] = f.kind.toWire(v);
  }
}

/** Largest encoding of a map holding all `fields`. */
export function fieldsMaxBytes(fields: Fields, extra = 0): number {
  const list = Object.values(fields);
  let n = headBytes(list.length + extra);
  for (const f of list) n += headBytes(f.key.length) + f.key.length + f.kind.maxBytes;
  return n;
}

/** A map with its own fields (PROTOCOL.md §4.1.1: text keys, unknown keys ignored). */
export function record<F extends Fields>(fields: F, name: string): Kind<BodyOf<F>> {
  return {
    info: { k: 'record', fields },
    cbor: 'map',
    range: name,
    maxBytes: fieldsMaxBytes(fields),
    decode(v, at) {
      if (!(v instanceof Map)) throw wrongType(at, 'map', v);
      return decodeFields(v, fields, at) as BodyOf<F>;
    },
    toWire(v) {
      const wire: Record<string, unknown> = {};
      encodeFields(v as Record<string, unknown>, fields, wire);
      return wire;
    },
  };
}
