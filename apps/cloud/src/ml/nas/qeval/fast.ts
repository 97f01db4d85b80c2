/**
 * A faster integer interpreter with the reference interpreter's numbers (quant/interpreter.ts), for
 * measuring int8 accuracy on whole test splits. Only the weighted ops, most of the work, run their own
 * loops: at load their weights become float64 `w - z_w` values; CONV2D / CONV1D gather each output
 * position's `x - z_x` patch once (padded taps as 0, which the reference skips: they add 0) and dot it
 * with four filters at a time; DEPTHWISE_CONV2D sums every channel of a position at once. Every
 * product and partial sum is an integer below 2^53, so the float64 sums are exact and equal the
 * reference's accumulators (PROTOCOL.md §6.3.2-§6.3.4); the requantization is the reference's SRDHM
 * with RDBP in its int32 C form (§6.2.4). Every other op runs the reference interpreter's own step. A test
 * compares every value with the reference on models of every op.
 */
import { Interpreter, type WeightedSteps } from '../../quant/interpreter.js';
import { deriveRequant, saturate32, srdhm } from '../../quant/requant.js';
import { type QConv, type QDense, type QGraph, size } from '../../quant/types.js';

type Values = Map<string, Uint8Array>;

/**
 * The requantization of one output channel (PROTOCOL.md §6.2.5) with its shifts precomputed; the
 * rounding divide RDBP runs on int32 bit operations, its C form, equal to quant/requant.ts `rdbp` for
 * every int32 input (SRDHM's results are int32).
 */
export interface Rq {
  readonly m: number;
  /** 2^left (1 when the shift is not positive). */
  readonly pow: number;
  readonly right: number;
  readonly mask: number;
}

export function rqOf(inScale: number, wScale: number, outScale: number): Rq {
  const r = deriveRequant(inScale, wScale, outScale);
  const right = r.shift > 0 ? 0 : -r.shift;
  return {
    m: r.multiplier,
    pow: r.shift > 0 ? 2 ** r.shift : 1,
    right,
    mask: right === 31 ? 0x7fffffff : (1 << right) - 1,
  };
}

/** `outputValue` of quant/kernels.ts: zero point + requantized accumulator, clamped. */
export function out(acc: number, r: Rq, yZero: number, lo: number, hi: number): number {
  let v = 0;
  if (r.m !== 0) {
    const x = acc | 0;
    v = srdhm(r.pow !== 1 ? saturate32(x * r.pow) : x, r.m);
    if (r.right > 0) {
      const mask = r.mask;
      v = (v >> r.right) + ((v & mask) > (mask >> 1) + (v < 0 ? 1 : 0) ? 1 : 0);
    }
  }
  const y = yZero + v;
  return y < lo ? lo : Math.min(y, hi);
}

/** Rows `w - z_w[o]` of a weighted op as float64, row-major [out][k]. */
function centredRows(n: QConv | QDense, outC: number): Float64Array {
  const w = n.weight;
  const k = w.data.length / outC;
  const rows = new Float64Array(w.data.length);
  for (let o = 0; o < outC; o++) {
    const z = w.zeroPoints.length === 1 ? w.zeroPoints[0]! : w.zeroPoints[o]!;
    for (let i = 0; i < k; i++) rows[o * k + i] = w.data[o * k + i]! - z;
  }
  return rows;
}

/** y[o] for o in [0, outC) of one output position: bias + patch . rows[o], requantized, clamped. */
function dotRows(
  patch: Float64Array,
  k: number,
  rows: Float64Array,
  outC: number,
  bias: Int32Array,
  rq: readonly Rq[],
  yZero: number,
  clamp: { actMin: number; actMax: number },
  y: Uint8Array,
  yBase: number,
): void {
  const one = rq.length === 1;
  const lo = clamp.actMin;
  const hi = clamp.actMax;
  let o = 0;
  for (; o + 4 <= outC; o += 4) {
    const r0 = o * k;
    const r1 = r0 + k;
    const r2 = r1 + k;
    const r3 = r2 + k;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let i = 0; i < k; i++) {
      const p = patch[i]!;
      a0 += p * rows[r0 + i]!;
      a1 += p * rows[r1 + i]!;
      a2 += p * rows[r2 + i]!;
      a3 += p * rows[r3 + i]!;
    }
    y[yBase + o] = out(bias[o]! + a0, rq[one ? 0 : o]!, yZero, lo, hi);
    y[yBase + o + 1] = out(bias[o + 1]! + a1, rq[one ? 0 : o + 1]!, yZero, lo, hi);
    y[yBase + o + 2] = out(bias[o + 2]! + a2, rq[one ? 0 : o + 2]!, yZero, lo, hi);
    y[yBase + o + 3] = out(bias[o + 3]! + a3, rq[one ? 0 : o + 3]!, yZero, lo, hi);
  }
  for (; o < outC; o++) {
    const r = o * k;
    let a = 0;
    for (let i = 0; i < k; i++) a += patch[i]! * rows[r + i]!;
    y[yBase + o] = out(bias[o]! + a, rq[one ? 0 : o]!, yZero, lo, hi);
  }
}

/** A convolution's sizes as plain numbers, read once when the step is built (locals of its hot loops). */
function geometry(n: QConv, xs: readonly number[], ys: readonly number[]) {
  return {
    inH: xs[0]!,
    inW: xs[1]!,
    inC: xs[2]!,
    outH: ys[0]!,
    outW: ys[1]!,
    kh: n.kernel[0],
    kw: n.kernel[1],
    sh: n.strides[0],
    sw: n.strides[1],
    dh: n.dilation[0],
    dw: n.dilation[1],
    top: n.pad.top,
    left: n.pad.left,
  };
}

/**
 * The steps of the weighted ops (quant/interpreter.ts `WeightedSteps`): same numbers as the reference
 * kernels, other loops (see the top of this file).
 */
export const fastWeighted: WeightedSteps = (n, xv, yv) => {
  const ySize = size(yv.shape);
  const x = (vals: Values): Uint8Array => vals.get(n.inputs[0]!)!;
  const put = (vals: Values, f: (y: Uint8Array) => void): void => {
    const y = new Uint8Array(ySize);
    f(y);
    vals.set(n.output, y);
  };
  const xs = xv.shape.length === 2 ? [1, ...xv.shape] : xv.shape;
  const ys = yv.shape.length === 2 ? [1, ...yv.shape] : yv.shape;
  switch (n.op) {
    case 'dense':
    case 'conv2d':
    case 'conv1d': {
      const outC = yv.shape[yv.shape.length - 1]!;
      const rows = centredRows(n, outC);
      const k = rows.length / outC;
      const rq = Array.from(n.weight.scales, (s) => rqOf(xv.q.scale, s, yv.q.scale));
      const xz = xv.q.zeroPoint;
      const patch = new Float64Array(k);
      const bias = n.bias.data;
      if (n.op === 'dense') {
        return (vals) =>
          put(vals, (y) => {
            const xi = x(vals);
            for (let i = 0; i < k; i++) patch[i] = xi[i]! - xz;
            dotRows(patch, k, rows, outC, bias, rq, yv.q.zeroPoint, n, y, 0);
          });
      }
      const { inH, inW, inC, outH, outW, kh, kw, sh, sw, dh, dw, top, left } = geometry(n, xs, ys);
      return (vals) =>
        put(vals, (y) => {
          const xi = x(vals);
          for (let oy = 0; oy < outH; oy++) {
            for (let ox = 0; ox < outW; ox++) {
              let p = 0;
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * sh - top + ky * dh;
                for (let kx = 0; kx < kw; kx++, p += inC) {
                  const ix = ox * sw - left + kx * dw;
                  if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
                    patch.fill(0, p, p + inC);
                    continue;
                  }
                  const base = (iy * inW + ix) * inC;
                  for (let c = 0; c < inC; c++) patch[p + c] = xi[base + c]! - xz;
                }
              }
              dotRows(patch, k, rows, outC, bias, rq, yv.q.zeroPoint, n, y, (oy * outW + ox) * outC);
            }
          }
        });
    }
    case 'depthwiseConv2d': {
      // weights 1HWC: centred per channel; per output position every channel's sum at once
      const { inH, inW, inC: C, outH, outW, kh, kw, sh, sw, dh, dw, top, left } = geometry(n, xs, ys);
      const w = n.weight;
      const wc = new Float64Array(w.data.length);
      for (let i = 0; i < wc.length; i++) {
        wc[i] = w.data[i]! - (w.zeroPoints.length === 1 ? w.zeroPoints[0]! : w.zeroPoints[i % C]!);
      }
      const rq = Array.from(w.scales, (s) => rqOf(xv.q.scale, s, yv.q.scale));
      const one = rq.length === 1;
      const acc = new Float64Array(C);
      const xz = xv.q.zeroPoint;
      const yz = yv.q.zeroPoint;
      return (vals) =>
        put(vals, (y) => {
          const xi = x(vals);
          for (let oy = 0; oy < outH; oy++) {
            for (let ox = 0; ox < outW; ox++) {
              acc.fill(0);
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * sh - top + ky * dh;
                if (iy < 0 || iy >= inH) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ox * sw - left + kx * dw;
                  if (ix < 0 || ix >= inW) continue;
                  const xb = (iy * inW + ix) * C;
                  const wb = (ky * kw + kx) * C;
                  for (let c = 0; c < C; c++) acc[c] = acc[c]! + (xi[xb + c]! - xz) * wc[wb + c]!;
                }
              }
              const yb = (oy * outW + ox) * C;
              for (let c = 0; c < C; c++) {
                y[yb + c] = out(n.bias.data[c]! + acc[c]!, rq[one ? 0 : c]!, yz, n.actMin, n.actMax);
              }
            }
          }
        });
    }
  }
};

/** The reference interpreter with the fast weighted ops. */
export class FastInterpreter extends Interpreter {
  constructor(graph: QGraph) {
    super(graph, { weighted: fastWeighted });
  }
}
