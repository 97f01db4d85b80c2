/**
 * What a field kind is (PROTOCOL.md §4.1): its CBOR type and range as the spec tables write them, its
 * largest encoding, how to validate a decoded CBOR value, and how to hand a value to the CBOR writer.
 */
import { ProtocolError } from '../errors.js';
import { CborFloat, CborTag, type CborValue } from './cbor/reader.js';
import type { Fields } from './fields.js';

/** What a kind is, with its parameters: lets tests and tools derive generators and documentation. */
export type KindInfo =
  | { readonly k: 'uint'; readonly min: number; readonly max: number }
  | {
      readonly k: 'f32';
      readonly min?: number | undefined;
      readonly max?: number | undefined;
      readonly aboveMin?: boolean | undefined;
    }
  | { readonly k: 'bool' }
  | { readonly k: 'text'; readonly min: number; readonly max: number; readonly pattern?: RegExp | undefined }
  | { readonly k: 'bytes'; readonly min: number; readonly max: number }
  | { readonly k: 'u16s'; readonly min: number; readonly max: number }
  | { readonly k: 'list'; readonly of: Kind<unknown>; readonly min: number; readonly max: number }
  | { readonly k: 'enum'; readonly names: readonly string[] }
  | { readonly k: 'record'; readonly fields: Fields }
  | { readonly k: 'hex'; readonly bytes: number }
  | { readonly k: 'any' }
  | { readonly k: 'anyMap' };

export interface Kind<T> {
  readonly info: KindInfo;
  /** CBOR type as the spec tables write it. */
  readonly cbor: string;
  /** Allowed values or lengths as the spec tables write it ('' when any value of the type is allowed). */
  readonly range: string;
  /** Largest encoding of a value, in bytes (PROTOCOL.md §4.1.6). */
  readonly maxBytes: number;
  /** Validates a decoded CBOR value. Throws BAD_FIELD for a wrong type, OUT_OF_RANGE for a wrong value. */
  decode(v: CborValue, at: string): T;
  /** The value as the CBOR writer takes it. Throws BAD_FIELD for values no decoder would accept. */
  toWire(v: T): unknown;
}

export function badField(at: string, why: string): ProtocolError {
  return new ProtocolError('BAD_FIELD', `${at}: ${why}`);
}

export function outOfRange(at: string, why: string): ProtocolError {
  return new ProtocolError('OUT_OF_RANGE', `${at}: ${why}`);
}

function typeName(v: CborValue): string {
  if (v === null) return 'null';
  if (v instanceof CborFloat) return 'float';
  if (v instanceof CborTag) return `tag ${v.tag}`;
  if (v instanceof Uint8Array) return 'bstr';
  if (v instanceof Map) return 'map';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'tstr';
  return 'bool';
}

export function wrongType(at: string, want: string, v: CborValue): ProtocolError {
  return badField(at, `expected ${want}, got ${typeName(v)}`);
}

/** Size of a CBOR head whose argument is n. */
export function headBytes(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  if (n < 0x1_0000_0000) return 5;
  return 9;
}

/** Numbers as the spec tables write them: 2^32-1 rather than 4294967295. */
export function num(n: number): string {
  for (const p of [16, 32, 53, 64]) {
    if (n === 2 ** p - 1) return `2^${p}-1`;
    if (n === 2 ** p) return `2^${p}`;
  }
  return String(n);
}
