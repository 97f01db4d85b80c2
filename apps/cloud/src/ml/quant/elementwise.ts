/**
 * Integer reference kernels without weights (PROTOCOL.md §6.3.5, §6.3.8-§6.3.11): ReLU/ReLU6 clamps,
 * ADD with two input scales, CONCAT with requantization and the integer SOFTMAX.
 */
import { QuantError } from './errors.js';
import { deriveRequant, type Requant, rdbp, requantize, srdhm } from './requant.js';
import type { QParams } from './types.js';

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** PROTOCOL.md §6.3.5: the quantized value of real 6 in a uint8 tensor, saturated to 255. */
export function relu6Max(q: QParams): number {
  return Math.min(255, q.zeroPoint + requantize(6, deriveRequant(1, 1, q.scale)));
}

/** RELU and RELU6 (input and output share qparams): clamp to [z, 255] or [z, relu6Max]. */
export function relu(kind: 'relu' | 'relu6', q: QParams, x: Uint8Array, y: Uint8Array): void {
  const lo = q.zeroPoint;
  const hi = kind === 'relu' ? 255 : relu6Max(q);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** Left shift of the ADD inputs, as TFLite Micro (PROTOCOL.md §6.3.8). */
export const ADD_LEFT_SHIFT = 20;

export interface AddParams {
  readonly a: Requant;
  readonly b: Requant;
  readonly out: Requant;
}

/** PROTOCOL.md §6.3.8: multipliers s_a / 2m, s_b / 2m and 2m / (2^20 s_y), with m = max(s_a, s_b). */
export function addParams(qa: QParams, qb: QParams, qy: QParams): AddParams {
  const m = Math.max(qa.scale, qb.scale);
  return {
    a: deriveRequant(qa.scale, 1, m, -1),
    b: deriveRequant(qb.scale, 1, m, -1),
    out: deriveRequant(m, 1, qy.scale, 1 - ADD_LEFT_SHIFT),
  };
}

export function add(
  p: AddParams,
  qa: QParams,
  qb: QParams,
  qy: QParams,
  a: Uint8Array,
  b: Uint8Array,
  y: Uint8Array,
): void {
  const k = 2 ** ADD_LEFT_SHIFT;
  for (let i = 0; i < y.length; i++) {
    const ra = requantize((a[i]! - qa.zeroPoint) * k, p.a);
    const rb = requantize((b[i]! - qb.zeroPoint) * k, p.b);
    y[i] = clamp255(qy.zeroPoint + requantize(ra + rb, p.out));
  }
}

/**
 * PROTOCOL.md §6.3.9: CONCAT on the last axis; an input whose qparams differ from the output's is
 * requantized: y = clamp(z_y + requant(x - z_x, s_x / s_y), 0, 255).
 */
export function concat(
  parts: readonly { readonly x: Uint8Array; readonly q: QParams; readonly channels: number }[],
  qy: QParams,
  positions: number,
  y: Uint8Array,
): void {
  const outC = parts.reduce((s, p) => s + p.channels, 0);
  let offset = 0;
  for (const part of parts) {
    const same = part.q.scale === qy.scale && part.q.zeroPoint === qy.zeroPoint;
    const r = same ? null : deriveRequant(part.q.scale, 1, qy.scale);
    for (let p = 0; p < positions; p++) {
      for (let c = 0; c < part.channels; c++) {
        const v = part.x[p * part.channels + c]!;
        y[p * outC + offset + c] = r ? clamp255(qy.zeroPoint + requantize(v - part.q.zeroPoint, r)) : v;
      }
    }
    offset += part.channels;
  }
}

/** log2(e) as float32 (bits 0x3FB8AA3B), PROTOCOL.md §6.3.11. */
export const LOG2E_F32 = Math.fround(Math.LOG2E);
/** SOFTMAX_POW2[j - 1] = round(2^31 * 2^(-2^-j)), j = 1..16 (PROTOCOL.md §6.3.11). */
export const SOFTMAX_POW2: readonly number[] = [
  1518500250, 1805811301, 1969251188, 2056437387, 2101467502, 2124350982, 2135885998, 2141676973, 2144578345,
  2146030505, 2146756953, 2147120270, 2147301951, 2147392798, 2147438222, 2147460935,
];
export const SOFTMAX_MAX_ROW = 2048;
/** Output qparams of SOFTMAX: scale 1/256, zero point 0. */
export const SOFTMAX_OUT: QParams = { scale: 1 / 256, zeroPoint: 0 };

/** 2^(-t / 2^16) in Q20 for t >= 0 (PROTOCOL.md §6.3.11 steps 3-4). */
export function exp2NegQ20(t: number): number {
  const n = Math.floor(t / 65536);
  const f = t - n * 65536;
  let e = 1 << 30;
  for (let j = 1; j <= 16; j++) if ((f >> (16 - j)) & 1) e = srdhm(e, SOFTMAX_POW2[j - 1]!);
  return n + 10 > 31 ? 0 : rdbp(e, n + 10);
}

/** SOFTMAX over rows of `row` elements to uint8 with scale 1/256 (PROTOCOL.md §6.3.11). */
export function softmax(q: QParams, row: number, x: Uint8Array, y: Uint8Array): void {
  if (row > SOFTMAX_MAX_ROW) throw new QuantError('UNSUPPORTED', `softmax row ${row} > ${SOFTMAX_MAX_ROW}`);
  const r = deriveRequant(q.scale, LOG2E_F32, 1, 16);
  const e = new Int32Array(row);
  for (let base = 0; base < x.length; base += row) {
    let mx = 0;
    for (let i = 0; i < row; i++) mx = Math.max(mx, x[base + i]!);
    let sum = 0;
    for (let i = 0; i < row; i++) {
      e[i] = exp2NegQ20(requantize(mx - x[base + i]!, r));
      sum += e[i]!;
    }
    const half = Math.floor(sum / 2);
    for (let i = 0; i < row; i++) y[base + i] = Math.min(255, Math.floor((e[i]! * 256 + half) / sum));
  }
}
