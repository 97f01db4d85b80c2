/**
 * Weight update of one trained layer (PROTOCOL.md §6.6.6): per selected structure the binary32
 * gradient is standardized, the structure's real weights move by -lr * ĝ, the logits producer is
 * re-centred, the whole tensor is requantized with the weight range tracker, and the int32 bias
 * follows the new weight scale.
 */
import { saturate32 } from '../quant/requant.js';
import type { QParams } from '../quant/types.js';
import { roundHalfEven } from '../quant/weights.js';
import {
  dequantF32,
  emaRange,
  f32,
  i2f,
  qparamsF32,
  quantizeF32,
  quantizeStochasticF32,
  type Range,
  type Xorshift32,
} from './numerics.js';

/** PROTOCOL.md §6.6.10 update rules. */
export type UpdateRule = 'standardized' | 'centered' | 'sgd';

/** Where element j of structure s sits in the weight tensor (PROTOCOL.md §4.4.1). */
export type ElementIndex = (s: number, j: number) => number;

/** OHWI / OI: structure-major; 1HWC (depthwise): element-major with stride N. */
export function elementIndex(layout: 'ohwi' | 'oi' | '1hwc', n: number, es: number): ElementIndex {
  return layout === '1hwc' ? (s, j) => j * n + s : (s, j) => s * es + j;
}

export interface LayerParams {
  /** uint8 weights, updated in place. */
  readonly w: Uint8Array;
  wq: QParams;
  /** int32 bias (scale f32(s_x * s_w)), updated in place. */
  readonly bias: Int32Array;
  /** Weight range tracker (PROTOCOL.md §6.6.7). */
  range: Range;
}

export interface UpdateInput {
  /** Ascending structure indices. */
  readonly selected: Uint16Array;
  /** Mean real gradient, row r (es values) for structure selected[r]. */
  readonly grad: Float32Array;
  /** Mean real bias gradient per selected structure. */
  readonly biasGrad: Float32Array;
  readonly es: number;
  readonly index: ElementIndex;
  readonly lr: number;
  /**
   * Step direction (PROTOCOL.md §6.6.6 step 1, §6.6.10): `standardized` (ĝ, the paper's rule, the
   * default), `centered` (g - mean(g) per structure), `sgd` (the mean gradient g).
   */
  readonly mode?: UpdateRule;
  /** Learning rate of the bias (PROTOCOL.md §6.6.6 step 4); default `lr`. */
  readonly biasLr?: number;
  /** EMA rate of the weight range (`ew`). */
  readonly rate: number;
  /** Input activation scale s_x (the bias scale is f32(s_x * s_w)). */
  readonly inputScale: number;
  /**
   * Stochastic rounding of the weight requantization (PROTOCOL.md §6.6.10): one draw per weight of
   * a selected structure, in tensor index order. Absent: round half to even everywhere.
   */
  readonly rng?: Xorshift32;
  /**
   * PROTOCOL.md §6.6.6 step 2a: re-centre every structure (and the bias) on the per-element mean
   * over the structures; set for the logits producer only.
   */
  readonly recentre?: boolean;
}

/**
 * PROTOCOL.md §6.6.6 step 1: ĝ = (g - mean) / std over the structure's elements, binary32,
 * sums in element order; population std; ĝ = 0 when std = 0.
 */
export function standardize(g: Float32Array, out: Float32Array): void {
  const n = f32(g.length);
  let sum = 0;
  for (const v of g) sum = f32(sum + v);
  const mean = f32(sum / n);
  let sq = 0;
  for (const v of g) {
    const d = f32(v - mean);
    sq = f32(sq + f32(d * d));
  }
  const std = f32(Math.sqrt(f32(sq / n)));
  for (let j = 0; j < g.length; j++) out[j] = std === 0 ? 0 : f32(f32(g[j]! - mean) / std);
}

/** PROTOCOL.md §6.6.10 CENTERED: g - mean(g) over the structure's elements, binary32, sum in element order. */
export function center(g: Float32Array, out: Float32Array): void {
  const n = f32(g.length);
  let sum = 0;
  for (const v of g) sum = f32(sum + v);
  const mean = f32(sum / n);
  for (let j = 0; j < g.length; j++) out[j] = f32(g[j]! - mean);
}

/** Applies the update; returns DELTA rows (dequantized after - before) of the selected structures. */
export function updateLayer(p: LayerParams, u: UpdateInput): Float32Array {
  const { selected, es, index } = u;
  const real = Float32Array.from(p.w, (q) => dequantF32(q, p.wq));
  const before = real.slice();
  const gHat = new Float32Array(es);
  const lr = f32(u.lr);
  const biasLr = f32(u.biasLr ?? u.lr);
  const mode = u.mode ?? 'standardized';
  for (let r = 0; r < selected.length; r++) {
    const row = u.grad.subarray(r * es, (r + 1) * es);
    if (mode === 'sgd') gHat.set(row);
    else if (mode === 'centered') center(row, gHat);
    else standardize(row, gHat);
    for (let j = 0; j < es; j++) {
      const i = index(selected[r]!, j);
      real[i] = f32(real[i]! - f32(lr * gHat[j]!));
    }
  }
  if (u.recentre) {
    // PROTOCOL.md §6.6.6 step 2a: mean over the structures per element, s ascending, then subtract
    const n = p.bias.length;
    for (let j = 0; j < es; j++) {
      let sum = 0;
      for (let s = 0; s < n; s++) sum = f32(sum + real[index(s, j)]!);
      const mean = f32(sum / f32(n));
      for (let s = 0; s < n; s++) real[index(s, j)] = f32(real[index(s, j)]! - mean);
    }
  }
  // PROTOCOL.md §6.6.6 step 3: requantize the whole tensor with the tracked range
  let lo = real[0]!;
  let hi = real[0]!;
  for (const v of real) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  p.range = emaRange(p.range, { lo, hi }, u.rate);
  const oldBiasScale = f32(f32(u.inputScale) * p.wq.scale);
  const wq = qparamsF32(p.range);
  // PROTOCOL.md §6.6.10: stochastic rounding for the weights of the selected structures (one draw
  // each, tensor index order); every other weight rounds half to even
  const rng = u.rng;
  const stochastic = new Uint8Array(rng ? real.length : 0);
  if (rng)
    for (let r = 0; r < selected.length; r++)
      for (let j = 0; j < es; j++) stochastic[index(selected[r]!, j)] = 1;
  for (let i = 0; i < real.length; i++)
    p.w[i] =
      rng && stochastic[i] ? quantizeStochasticF32(real[i]!, wq, rng.next()) : quantizeF32(real[i]!, wq);
  p.wq = wq;
  // PROTOCOL.md §6.6.6 step 4: bias in real units, SGD on the selected structures, new scale
  const newBiasScale = f32(f32(u.inputScale) * wq.scale);
  const selectedAt = new Map<number, number>();
  for (let r = 0; r < selected.length; r++) selectedAt.set(selected[r]!, r);
  const bReal = new Float32Array(p.bias.length);
  for (let s = 0; s < p.bias.length; s++) {
    let b = f32(oldBiasScale * i2f(p.bias[s]!));
    const r = selectedAt.get(s);
    if (r !== undefined) b = f32(b - f32(biasLr * u.biasGrad[r]!));
    bReal[s] = b;
  }
  if (u.recentre) {
    // PROTOCOL.md §6.6.6 step 4 with step 2a: the bias mean, s ascending
    let sum = 0;
    for (const b of bReal) sum = f32(sum + b);
    const mean = f32(sum / f32(bReal.length));
    for (let s = 0; s < bReal.length; s++) bReal[s] = f32(bReal[s]! - mean);
  }
  for (let s = 0; s < p.bias.length; s++)
    p.bias[s] = saturate32(roundHalfEven(f32(bReal[s]! / newBiasScale)));
  const delta = new Float32Array(selected.length * es);
  for (let r = 0; r < selected.length; r++)
    for (let j = 0; j < es; j++) {
      const i = index(selected[r]!, j);
      delta[r * es + j] = f32(dequantF32(p.w[i]!, wq) - before[i]!);
    }
  return delta;
}
