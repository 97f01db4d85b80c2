/**
 * Integer backward kernels of fully quantized training (PROTOCOL.md §6.6.3, §6.6.4): error
 * propagation into int32 accumulators, weight gradients as int32 sums per structure, and the
 * pass-through ops (activation masks, max/avg pool routing). Inputs are uint8 with their zero
 * points; a "MAC" is one multiply-accumulate, counted for in-bounds taps only.
 */
import type { ConvGeometry, PoolGeometry } from '../quant/kernels.js';

/** uint8 tensor data with its zero point. */
export interface QData {
  readonly q: Uint8Array;
  readonly z: number;
}

/** Weights of a weighted op (uint8 per tensor, PROTOCOL.md §6.6.1). */
export interface QWeightData extends QData {
  readonly layout: 'ohwi' | '1hwc' | 'oi';
}

/**
 * PROTOCOL.md §6.6.3: error propagation through CONV2D / CONV1D:
 * acc[iy, ix, c] = Σ (w[o, ky, kx, c] - z_w) * (e[oy, ox, o] - z_e) over the taps that read (iy, ix)
 * in the forward pass (the transposed convolution; padded taps contribute nothing). `acc` is zeroed
 * here. Returns the MACs.
 */
export function convBackwardInput(g: ConvGeometry, w: QData, e: QData, acc: Int32Array): number {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  acc.fill(0);
  let macs = 0;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let o = 0; o < g.outC; o++) {
        const ev = e.q[(oy * g.outW + ox) * g.outC + o]! - e.z;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - g.pad.top + ky * dh;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - g.pad.left + kx * dw;
            if (ix < 0 || ix >= g.inW) continue;
            const xb = (iy * g.inW + ix) * g.inC;
            const wb = ((o * kh + ky) * kw + kx) * g.inC;
            for (let c = 0; c < g.inC; c++) acc[xb + c] = (acc[xb + c]! + (w.q[wb + c]! - w.z) * ev) | 0;
            macs += g.inC;
          }
        }
      }
    }
  }
  return macs;
}

/** PROTOCOL.md §6.6.3: error propagation through DEPTHWISE_CONV2D (weights 1HWC). */
export function depthwiseBackwardInput(g: ConvGeometry, w: QData, e: QData, acc: Int32Array): number {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  const C = g.inC;
  acc.fill(0);
  let macs = 0;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - g.pad.top + ky * dh;
        if (iy < 0 || iy >= g.inH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - g.pad.left + kx * dw;
          if (ix < 0 || ix >= g.inW) continue;
          for (let c = 0; c < C; c++) {
            const ev = e.q[(oy * g.outW + ox) * C + c]! - e.z;
            const i = (iy * g.inW + ix) * C + c;
            acc[i] = (acc[i]! + (w.q[(ky * kw + kx) * C + c]! - w.z) * ev) | 0;
          }
          macs += C;
        }
      }
    }
  }
  return macs;
}

/** PROTOCOL.md §6.6.3: error propagation through DENSE: acc[i] = Σ_o (w[o, i] - z_w) * (e[o] - z_e). */
export function denseBackwardInput(
  inputs: number,
  units: number,
  w: QData,
  e: QData,
  acc: Int32Array,
): number {
  acc.fill(0);
  for (let o = 0; o < units; o++) {
    const ev = e.q[o]! - e.z;
    const base = o * inputs;
    for (let i = 0; i < inputs; i++) acc[i] = (acc[i]! + (w.q[base + i]! - w.z) * ev) | 0;
  }
  return inputs * units;
}

/**
 * PROTOCOL.md §6.6.4: weight gradient of the listed CONV2D structures as int32 sums,
 * G[r, ky, kx, c] = Σ_{oy, ox} (x[iy, ix, c] - z_x) * (e[oy, ox, o] - z_e) for o = structures[r],
 * row r of `out` (kh*kw*cin values, OHWI order). Adds into `out` (the caller zeroes it).
 */
export function convWeightGrad(
  g: ConvGeometry,
  x: QData,
  e: QData,
  structures: ArrayLike<number>,
  out: Int32Array,
): number {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  const es = kh * kw * g.inC;
  let macs = 0;
  for (let r = 0; r < structures.length; r++) {
    const o = structures[r]!;
    const rb = r * es;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const ev = e.q[(oy * g.outW + ox) * g.outC + o]! - e.z;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - g.pad.top + ky * dh;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - g.pad.left + kx * dw;
            if (ix < 0 || ix >= g.inW) continue;
            const xb = (iy * g.inW + ix) * g.inC;
            const gb = rb + (ky * kw + kx) * g.inC;
            for (let c = 0; c < g.inC; c++) out[gb + c] = (out[gb + c]! + (x.q[xb + c]! - x.z) * ev) | 0;
            macs += g.inC;
          }
        }
      }
    }
  }
  return macs;
}

/** PROTOCOL.md §6.6.4: weight gradient of the listed DEPTHWISE_CONV2D channels, row r = kh*kw values. */
export function depthwiseWeightGrad(
  g: ConvGeometry,
  x: QData,
  e: QData,
  structures: ArrayLike<number>,
  out: Int32Array,
): number {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  const C = g.inC;
  let macs = 0;
  for (let r = 0; r < structures.length; r++) {
    const c = structures[r]!;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const ev = e.q[(oy * g.outW + ox) * C + c]! - e.z;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - g.pad.top + ky * dh;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - g.pad.left + kx * dw;
            if (ix < 0 || ix >= g.inW) continue;
            const i = r * kh * kw + ky * kw + kx;
            out[i] = (out[i]! + (x.q[(iy * g.inW + ix) * C + c]! - x.z) * ev) | 0;
            macs += 1;
          }
        }
      }
    }
  }
  return macs;
}

/** PROTOCOL.md §6.6.4: DENSE weight gradient of the listed rows: G[r, i] = (x[i] - z_x) * (e[o] - z_e). */
export function denseWeightGrad(
  inputs: number,
  x: QData,
  e: QData,
  structures: ArrayLike<number>,
  out: Int32Array,
): number {
  for (let r = 0; r < structures.length; r++) {
    const ev = e.q[structures[r]!]! - e.z;
    const base = r * inputs;
    for (let i = 0; i < inputs; i++) out[base + i] = (out[base + i]! + (x.q[i]! - x.z) * ev) | 0;
  }
  return inputs * structures.length;
}

/**
 * PROTOCOL.md §6.6.3: the activation mask, in place on the error `e` of an output `y`. An element's
 * error becomes z_e (real 0) when `y <= lower` (a ReLU cut, `lower` = the output zero point) or,
 * when `upper < 255`, `y >= upper` (a ReLU6 cut). `lower` null: no lower cut.
 */
export function activationMask(
  y: Uint8Array,
  lower: number | null,
  upper: number,
  e: Uint8Array,
  eZero: number,
): void {
  for (let i = 0; i < e.length; i++) {
    const v = y[i]!;
    if ((lower !== null && v <= lower) || (upper < 255 && v >= upper)) e[i] = eZero;
  }
}

/**
 * PROTOCOL.md §6.6.3: MAXPOOL2D backward. Each output error goes to the first largest input of its
 * window (scan order ky, kx, as the forward pass; padded positions ignored); an input reached by
 * several windows gets the sum. Same qparams in and out: dx = clamp(z_e + Σ (e - z_e), 0, 255).
 */
export function maxPoolBackward(g: PoolGeometry, x: Uint8Array, e: QData, dx: Uint8Array): void {
  const [wh, ww] = g.window;
  const [sh, sw] = g.strides;
  const acc = new Int32Array(dx.length);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let c = 0; c < g.C; c++) {
        let best = -1;
        let at = -1;
        for (let ky = 0; ky < wh; ky++) {
          const iy = oy * sh - g.pad.top + ky;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < ww; kx++) {
            const ix = ox * sw - g.pad.left + kx;
            if (ix < 0 || ix >= g.inW) continue;
            const i = (iy * g.inW + ix) * g.C + c;
            if (x[i]! > best) {
              best = x[i]!;
              at = i;
            }
          }
        }
        if (at >= 0) acc[at] = acc[at]! + e.q[(oy * g.outW + ox) * g.C + c]! - e.z;
      }
    }
  }
  for (let i = 0; i < dx.length; i++) {
    const v = e.z + acc[i]!;
    dx[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/** Fraction bits of the AVGPOOL backward accumulator (PROTOCOL.md §6.6.3). */
export const AVG_FRAC_BITS = 16;

/**
 * PROTOCOL.md §6.6.3: AVGPOOL2D (and GLOBAL_AVGPOOL as one window) backward into int32 units of
 * s_e * 2^-16: acc[i] = Σ over windows w holding i of RoundedDiv((e_w - z_e) * 2^16, n_w), n_w the
 * in-bounds taps of w (RoundedDiv of PROTOCOL.md §6.3.6).
 */
export function avgPoolBackward(g: PoolGeometry, e: QData, acc: Int32Array): void {
  const [wh, ww] = g.window;
  const [sh, sw] = g.strides;
  acc.fill(0);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      const y0 = oy * sh - g.pad.top;
      const x0 = ox * sw - g.pad.left;
      const n = (Math.min(y0 + wh, g.inH) - Math.max(y0, 0)) * (Math.min(x0 + ww, g.inW) - Math.max(x0, 0));
      if (n <= 0) continue;
      for (let c = 0; c < g.C; c++) {
        const share = roundedDivInt((e.q[(oy * g.outW + ox) * g.C + c]! - e.z) * 2 ** AVG_FRAC_BITS, n);
        for (let iy = Math.max(y0, 0); iy < Math.min(y0 + wh, g.inH); iy++)
          for (let ix = Math.max(x0, 0); ix < Math.min(x0 + ww, g.inW); ix++) {
            const i = (iy * g.inW + ix) * g.C + c;
            acc[i] = (acc[i]! + share) | 0;
          }
      }
    }
  }
}

/** Round to nearest, ties away from zero (PROTOCOL.md §6.3.6). */
export function roundedDivInt(sum: number, n: number): number {
  const half = Math.floor(n / 2);
  return sum >= 0 ? Math.floor((sum + half) / n) : -Math.floor((-sum + half) / n);
}
