/**
 * Shared pieces of the kernel vector cases (nn.ts): a seeded generator, the case shape, and
 * conversions to the `.tfkv` container and its `.json` description.
 */
import { OpKind, type OpKindName } from '../../src/constants/index.js';
import { hex, jsonFile, type VectorFile } from './common.js';
import { encodeTfkv, type Field, type FieldData } from './nn-container.js';

/** A deterministic xorshift32 stream (no Math.random anywhere in the vectors). */
export class Rng {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  next(): number {
    this.x ^= this.x << 13;
    this.x >>>= 0;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    this.x >>>= 0;
    return this.x;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  u8(n: number, lo = 0, hi = 255): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(lo, hi));
  }
  i8(n: number, lo = -127, hi = 127): Int8Array {
    return Int8Array.from({ length: n }, () => this.int(lo, hi));
  }
  i32(n: number, lo: number, hi: number): Int32Array {
    return Int32Array.from({ length: n }, () => this.int(lo, hi));
  }
}

/** One vector: `nn/<name>.tfkv` + `nn/<name>.json`. `op` null: a bare requantization case. */
export interface NnCase {
  readonly name: string;
  readonly op: OpKindName | null;
  readonly doc: string;
  readonly fields: readonly Field[];
}

/** A function returning cases; nn.ts keeps the list (the extension point for FQT vectors). */
export type CaseBuilder = () => readonly NnCase[];

export const f32 = Math.fround;

export function scalar(name: string, v: number): Field {
  return { name, shape: [], data: Int32Array.of(v) };
}

export function scales(name: string, v: readonly number[]): Field {
  return { name, shape: [v.length], data: Float32Array.from(v) };
}

export function tensor(name: string, shape: readonly number[], data: FieldData): Field {
  return { name, shape, data };
}

export function requantFields(prefix: string, rs: readonly { multiplier: number; shift: number }[]): Field[] {
  return [
    { name: `${prefix}mult`, shape: [rs.length], data: Int32Array.from(rs, (r) => r.multiplier) },
    { name: `${prefix}shift`, shape: [rs.length], data: Int32Array.from(rs, (r) => r.shift) },
  ];
}

function jsonValue(f: Field): unknown {
  if (f.shape.length === 0) return f.data[0];
  if (f.data instanceof Float32Array || f.data instanceof Int32Array) {
    if (f.data.length <= 64) return [...f.data];
  }
  return hex(new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength));
}

const DTYPE_NAME = (d: FieldData): string =>
  d instanceof Uint8Array
    ? 'UINT8'
    : d instanceof Int8Array
      ? 'INT8'
      : d instanceof Int32Array
        ? 'INT32'
        : 'FLOAT32';

export function caseFiles(c: NnCase): VectorFile[] {
  const opKind = c.op === null ? 0 : OpKind[c.op];
  return [
    { path: `nn/${c.name}.tfkv`, bytes: encodeTfkv(opKind, c.fields) },
    jsonFile(`nn/${c.name}.json`, {
      generator: 'protocol/scripts/vectors/nn.ts',
      op: c.op ?? 'REQUANT',
      op_kind: opKind,
      doc: c.doc,
      fields: Object.fromEntries(
        c.fields.map((f) => [f.name, { dtype: DTYPE_NAME(f.data), shape: f.shape, value: jsonValue(f) }]),
      ),
    }),
  ];
}
