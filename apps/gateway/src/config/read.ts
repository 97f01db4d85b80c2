/** Small validators for the JSON config: each throws GatewayError BAD_CONFIG naming the path. */
import { GatewayError } from '../errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

/** URL schemes mqtt.js connects with. */
export const MQTT_URL = /^(mqtts?|wss?|tcp):\/\//;

const bad = (path: string, why: string) => new GatewayError('BAD_CONFIG', `config ${path}: ${why}`);

export function obj(v: Json | undefined, path: string, keys: readonly string[]): Obj {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(path, 'object expected');
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw bad(`${path}.${k}`, 'unknown key');
  return v;
}

export function str(v: Json | undefined, path: string, def?: string, pattern?: RegExp): string {
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'string' || v.length === 0) throw bad(path, 'non-empty text expected');
  if (pattern && !pattern.test(v)) throw bad(path, `must match ${pattern}`);
  return v;
}

export function optStr(v: Json | undefined, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}

export function int(v: Json | undefined, path: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(path, `integer in ${min}..${max} expected`);
  return v;
}

export function num(v: Json | undefined, path: string, def: number, minExclusive: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= minExclusive)
    throw bad(path, `number > ${minExclusive} expected`);
  return v;
}

export function strList(v: Json | undefined, path: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(path, 'array of text expected');
  return v.map((x, i) => str(x, `${path}[${i}]`));
}

export function intList(v: Json | undefined, path: string, min: number, max: number): number[] {
  if (!Array.isArray(v) || v.length === 0) throw bad(path, 'non-empty array of integers expected');
  return v.map((x, i) => int(x, `${path}[${i}]`, 0, min, max));
}

export { bad };
