/**
 * Integer reference kernels for the weighted ops and pools (PROTOCOL.md §6.3): plain loops over
 * NHWC uint8 data, one sample at a time. These define the numbers the C kernels must reproduce.
 */
import { type Requant, requantize } from './requant.js';
import type { Clamp, Pad } from './types.js';

/** Requantized output value with its zero point and fused clamp (PROTOCOL.md §6.3.1). */
export function outputValue(acc: number, r: Requant, zeroPoint: number, clamp: Clamp): number {
  const y = zeroPoint + requantize(acc | 0, r);
  return y < clamp.actMin ? clamp.actMin : y > clamp.actMax ? clamp.actMax : y;
}

export interface ConvGeometry {
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly outC: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly pad: Pad;
}

/** Quantized operands of a weighted op; `requant[c]` and `wZero[c]` per output channel. */
export interface WeightedArgs {
  readonly x: Uint8Array;
  readonly xZero: number;
  readonly w: Uint8Array | Int8Array;
  readonly wZero: Int32Array;
  readonly bias: Int32Array;
  readonly requant: readonly Requant[];
  readonly yZero: number;
  readonly clamp: Clamp;
}

function at<T>(a: readonly T[] | ArrayLike<T>, c: number): T {
  return (a.length === 1 ? a[0] : a[c]) as T;
}

/**
 * CONV2D (and CONV1D as H = 1), PROTOCOL.md §6.3.2: acc = bias[o] + sum over in-bounds taps of
 * (x - z_x) * (w - z_w[o]); padded taps contribute 0; int32 wrap-around.
 */
export function conv2d(g: ConvGeometry, a: WeightedArgs, y: Uint8Array): void {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let o = 0; o < g.outC; o++) {
        const wz = at(a.wZero, o);
        let acc = a.bias[o]!;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - g.pad.top + ky * dh;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - g.pad.left + kx * dw;
            if (ix < 0 || ix >= g.inW) continue;
            const xBase = (iy * g.inW + ix) * g.inC;
            const wBase = ((o * kh + ky) * kw + kx) * g.inC;
            for (let c = 0; c < g.inC; c++) acc += (a.x[xBase + c]! - a.xZero) * (a.w[wBase + c]! - wz);
          }
        }
        y[(oy * g.outW + ox) * g.outC + o] = outputValue(acc, at(a.requant, o), a.yZero, a.clamp);
      }
    }
  }
}

/** DEPTHWISE_CONV2D (multiplier 1, weights 1HWC), PROTOCOL.md §6.3.3. */
export function depthwiseConv2d(g: ConvGeometry, a: WeightedArgs, y: Uint8Array): void {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  const C = g.inC;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let c = 0; c < C; c++) {
        const wz = at(a.wZero, c);
        let acc = a.bias[c]!;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - g.pad.top + ky * dh;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - g.pad.left + kx * dw;
            if (ix < 0 || ix >= g.inW) continue;
            acc += (a.x[(iy * g.inW + ix) * C + c]! - a.xZero) * (a.w[(ky * kw + kx) * C + c]! - wz);
          }
        }
        y[(oy * g.outW + ox) * C + c] = outputValue(acc, at(a.requant, c), a.yZero, a.clamp);
      }
    }
  }
}

/** DENSE, weights OI, PROTOCOL.md §6.3.4. */
export function dense(inputs: number, units: number, a: WeightedArgs, y: Uint8Array): void {
  for (let o = 0; o < units; o++) {
    const wz = at(a.wZero, o);
    let acc = a.bias[o]!;
    const base = o * inputs;
    for (let i = 0; i < inputs; i++) acc += (a.x[i]! - a.xZero) * (a.w[base + i]! - wz);
    y[o] = outputValue(acc, at(a.requant, o), a.yZero, a.clamp);
  }
}

export interface PoolGeometry {
  readonly inH: number;
  readonly inW: number;
  readonly C: number;
  readonly outH: number;
  readonly outW: number;
  readonly window: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pad: Pad;
}

/**
 * PROTOCOL.md §6.3.6: AVG rounds sum / n to nearest, ties away from zero, over the n in-bounds
 * taps; input and output share qparams, so no requantization. MAX takes the largest in-bounds value.
 */
export function pool(kind: 'max' | 'avg', g: PoolGeometry, clamp: Clamp, x: Uint8Array, y: Uint8Array): void {
  const [wh, ww] = g.window;
  const [sh, sw] = g.strides;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let c = 0; c < g.C; c++) {
        let best = -1;
        let sum = 0;
        let n = 0;
        for (let ky = 0; ky < wh; ky++) {
          const iy = oy * sh - g.pad.top + ky;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < ww; kx++) {
            const ix = ox * sw - g.pad.left + kx;
            if (ix < 0 || ix >= g.inW) continue;
            const v = x[(iy * g.inW + ix) * g.C + c]!;
            if (v > best) best = v;
            sum += v;
            n++;
          }
        }
        let v = kind === 'max' ? best : roundedDiv(sum, n);
        v = v < clamp.actMin ? clamp.actMin : v > clamp.actMax ? clamp.actMax : v;
        y[(oy * g.outW + ox) * g.C + c] = v;
      }
    }
  }
}

/** sum / n rounded to nearest, ties away from zero (PROTOCOL.md §6.3.6): C `(sum ± n/2) / n`. */
export function roundedDiv(sum: number, n: number): number {
  const half = Math.floor(n / 2);
  return sum >= 0 ? Math.floor((sum + half) / n) : -Math.floor((-sum + half) / n);
}

/** GLOBAL_AVGPOOL over [H*W, C], PROTOCOL.md §6.3.7. */
export function globalAvgPool(positions: number, C: number, x: Uint8Array, y: Uint8Array): void {
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let p = 0; p < positions; p++) sum += x[p * C + c]!;
    y[c] = roundedDiv(sum, positions);
  }
}
