/** Checks the JSON header of a model file field by field, before anything trusts it. */
import { OP_TYPES } from '../graph/types.js';
import { ModelFileError } from './errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export function fail(what: string): never {
  throw new ModelFileError('BAD_HEADER', `malformed header: ${what}`);
}

export function obj(v: Json | undefined, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be an object`);
  return v;
}

export function arr(v: Json | undefined, what: string): Json[] {
  if (!Array.isArray(v)) fail(`${what} must be an array`);
  return v;
}

export function str(v: Json | undefined, what: string): string {
  if (typeof v !== 'string') fail(`${what} must be a string`);
  return v;
}

export function num(v: Json | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what} must be a number`);
  return v;
}

export function int(v: Json | undefined, what: string, min = 0): number {
  const n = num(v, what);
  if (!Number.isInteger(n) || n < min) fail(`${what} must be an integer >= ${min}`);
  return n;
}

export function shape(v: Json | undefined, what: string): number[] {
  return arr(v, what).map((d, i) => int(d, `${what}[${i}]`, 1));
}

/** A span of floats inside the blob. */
export interface Span {
  readonly offset: number;
  readonly length: number;
}

export function span(v: Json | undefined, what: string, blobFloats: number): Span {
  const o = obj(v, what);
  const offset = int(o.offset, `${what}.offset`);
  const length = int(o.length, `${what}.length`);
  if (offset + length > blobFloats) {
    throw new ModelFileError('TRUNCATED', `${what} points past the end of the parameter data`);
  }
  return { offset, length };
}

/** Structural check of a node; op-specific attrs are checked by shape inference afterwards. */
export function checkNode(v: Json, i: number): void {
  const o = obj(v, `nodes[${i}]`);
  str(o.name, `nodes[${i}].name`);
  const op = str(o.op, `nodes[${i}].op`);
  if (!(OP_TYPES as readonly string[]).includes(op)) {
    throw new ModelFileError('BAD_GRAPH', `nodes[${i}] has unsupported op "${op}"`);
  }
  for (const [j, x] of arr(o.inputs, `nodes[${i}].inputs`).entries()) str(x, `nodes[${i}].inputs[${j}]`);
  const attrs = obj(o.attrs, `nodes[${i}].attrs`);
  for (const [k, a] of Object.entries(attrs)) {
    if (typeof a === 'number' || typeof a === 'string') continue;
    for (const [j, x] of arr(a, `nodes[${i}].attrs.${k}`).entries()) num(x, `nodes[${i}].attrs.${k}[${j}]`);
  }
  for (const [k, p] of Object.entries(obj(o.params, `nodes[${i}].params`))) str(p, `nodes[${i}].params.${k}`);
}
