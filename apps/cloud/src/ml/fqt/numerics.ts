/**
 * Binary32 and integer helpers of fully quantized training (PROTOCOL.md §6.6). Every real-valued
 * step is a binary32 operation (`f32` after each one, as C `float` arithmetic with FLT_EVAL_METHOD 0);
 * everything else is integer. Nothing here uses libm beyond `sqrt` (correctly rounded in IEEE 754).
 */
import type { QParams } from '../quant/types.js';
import { roundHalfEven } from '../quant/weights.js';

export const f32 = Math.fround;

/** Smallest width of a tracked range (binary32 of 1e-6), as PROTOCOL.md §6.1. */
export const MIN_RANGE = f32(1e-6);

/** A real range tracked in binary32 (PROTOCOL.md §6.6.7). */
export interface Range {
  lo: number;
  hi: number;
}

/**
 * PROTOCOL.md §6.6.7: uint8 qparams of a binary32 range, every step in binary32:
 * lo = min(lo, 0), hi = max(hi, 0), widened to MIN_RANGE, scale = (hi - lo) / 255,
 * zero point = clamp(round_half_even(-lo / scale), 0, 255).
 */
export function qparamsF32(range: Range): QParams {
  let lo = range.lo < 0 ? f32(range.lo) : 0;
  let hi = range.hi > 0 ? f32(range.hi) : 0;
  if (f32(hi - lo) < MIN_RANGE) {
    hi = f32(lo + MIN_RANGE);
    if (lo < 0) lo = f32(hi - MIN_RANGE);
  }
  const scale = f32(f32(hi - lo) / 255);
  const z = roundHalfEven(f32(f32(0 - lo) / scale));
  return { scale, zeroPoint: z < 0 ? 0 : z > 255 ? 255 : z };
}

/**
 * PROTOCOL.md §6.6.7: EMA of a range, `r = (1 - rate) * r + rate * observed` per bound, binary32,
 * in this operation order. rate 1 takes the observation; rate 0 keeps `r`.
 */
export function emaRange(r: Range, observed: Range, rate: number): Range {
  if (rate === 0) return { lo: r.lo, hi: r.hi };
  if (rate === 1) return { lo: observed.lo, hi: observed.hi };
  const keep = f32(1 - f32(rate));
  const mix = (a: number, b: number) => f32(f32(keep * a) + f32(f32(rate) * b));
  return { lo: mix(r.lo, observed.lo), hi: mix(r.hi, observed.hi) };
}

/** PROTOCOL.md §6.6.6: q = clamp(round_half_even(v / s) + z, 0, 255), the division in binary32. */
export function quantizeF32(v: number, q: QParams): number {
  const r = roundHalfEven(f32(v / q.scale)) + q.zeroPoint;
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * PROTOCOL.md §6.6.10: the session's xorshift32 stream (shifts 13, 17, 5 on a uint32 state that is
 * never 0). A seed of 0 is replaced by 0x9e3779b9.
 */
export class Xorshift32 {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** The next uint32 of the stream (the state after the update). */
  next(): number {
    let x = this.s;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    this.s = x;
    return x;
  }
  get state(): number {
    return this.s;
  }
}

/**
 * PROTOCOL.md §6.6.10: stochastic rounding of a binary32 `v` with one draw `r` (uint32):
 * `fl = floor(v)`, `frac = f32(v - fl)` (exact), `u = f32((r >>> 8) * 2^-24)` in [0, 1);
 * the result is `fl + 1` when `frac > u`, else `fl`. P(up) = frac up to 2^-24.
 */
export function roundStochastic(v: number, r: number): number {
  const fl = Math.floor(v);
  const frac = f32(v - fl);
  return frac > (r >>> 8) * 2 ** -24 ? fl + 1 : fl;
}

/** PROTOCOL.md §6.6.10: like `quantizeF32` with stochastic rounding of `f32(v / s)`. */
export function quantizeStochasticF32(v: number, q: QParams, r: number): number {
  const x = roundStochastic(f32(v / q.scale), r) + q.zeroPoint;
  return x < 0 ? 0 : Math.min(x, 255);
}

/** Binary32 real value of a uint8 `q`: s * (q - z). */
export function dequantF32(q: number, p: QParams): number {
  return f32(p.scale * (q - p.zeroPoint));
}

/** Binary32 value of an int32 (C `(float)i`, round to nearest even). */
export function i2f(i: number): number {
  return f32(i);
}

/**
 * PROTOCOL.md §6.6.5: -ln(p / 256) for p = 1..256, the binary32 nearest to the exact value;
 * index 0 stands for p = 0 and holds the p = 1 entry (the probability is floored at 1/256).
 */
export const NEG_LN_Q8: Float32Array = Float32Array.from({ length: 257 }, (_, p) =>
  f32(-Math.log(Math.max(p, 1) / 256)),
);

/**
 * PROTOCOL.md §4.4.1 step 3, §6.6.8: the k structures with the largest magnitude, ties to the lower
 * index; returned in ascending index order.
 */
export function topK(magnitudes: ArrayLike<number>, k: number): Uint16Array {
  const n = magnitudes.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => magnitudes[b]! - magnitudes[a]! || a - b);
  return Uint16Array.from(order.slice(0, Math.max(0, Math.min(k, n)))).sort();
}

/** Ratio a / b in binary32, 0 when b is 0 (PROTOCOL.md §4.4.1 step 2). */
export function ratioF32(a: number, b: number): number {
  return b > 0 ? f32(f32(a) / f32(b)) : 0;
}
