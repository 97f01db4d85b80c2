/**
 * Float -> integer conversion of parameters and ranges (PROTOCOL.md §6.1, §6.4): activation qparams
 * from a range, uint8 per-tensor and int8 per-channel weights, int32 bias, and the IR -> artifact
 * weight layouts (HWIO -> OHWI, [In, Out] -> OI).
 */
import { saturate32 } from './requant.js';
import type { QBias, QParams, QWeights } from './types.js';

const f32 = Math.fround;
/** Smallest range width a tensor gets, so a constant tensor still has a finite scale. */
const MIN_RANGE = 1e-6;

/** Round to nearest, ties to even (PROTOCOL.md §6.1, as ONNX QuantizeLinear). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** PROTOCOL.md §6.1: q = clamp(roundHalfEven(x / s) + z, lo, hi). */
export function quantizeValue(x: number, q: QParams, lo = 0, hi = 255): number {
  const v = roundHalfEven(x / q.scale) + q.zeroPoint;
  return v < lo ? lo : v > hi ? hi : v;
}

/** PROTOCOL.md §6.4: uint8 qparams of a real range, widened to contain 0. */
export function qparamsFromRange(min: number, max: number): QParams {
  let lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  if (hi - lo < MIN_RANGE) {
    hi = lo + MIN_RANGE;
    if (lo < 0) lo = hi - MIN_RANGE;
  }
  const scale = f32((hi - lo) / 255);
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint };
}

/**
 * Quantizes weights already in the artifact layout. `channels` output channels, `channelOf(i)` maps
 * an element index to its channel; `axis` is recorded for the artifact.
 */
export function quantizeWeights(
  data: Float32Array,
  shape: readonly number[],
  channels: number,
  channelOf: (i: number) => number,
  axis: number,
  perChannel: boolean,
): QWeights {
  if (!perChannel) {
    let min = 0;
    let max = 0;
    for (const v of data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const q = qparamsFromRange(min, max);
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = quantizeValue(data[i]!, q);
    return {
      dtype: 'uint8',
      shape,
      data: out,
      scales: Float32Array.of(q.scale),
      zeroPoints: Int32Array.of(q.zeroPoint),
      axis: 0,
    };
  }
  const absMax = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    absMax[c] = Math.max(absMax[c]!, Math.abs(data[i]!));
  }
  const scales = Float32Array.from(absMax, (m) => f32(Math.max(m, MIN_RANGE) / 127));
  const out = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = quantizeValue(data[i]!, { scale: scales[channelOf(i)]!, zeroPoint: 0 }, -127, 127);
  }
  return { dtype: 'int8', shape, data: out, scales, zeroPoints: new Int32Array(channels), axis };
}

/** PROTOCOL.md §6.1: int32 bias with scale float32(s_in * s_w[c]), saturated. */
export function quantizeBias(
  bias: Float32Array | undefined,
  channels: number,
  sIn: number,
  w: QWeights,
): QBias {
  const scales = Float32Array.from(w.scales, (s) => f32(sIn * s));
  const data = new Int32Array(channels);
  if (bias) {
    for (let c = 0; c < channels; c++) {
      const s = scales.length === 1 ? scales[0]! : scales[c]!;
      data[c] = saturate32(roundHalfEven(bias[c]! / s));
    }
  }
  return { data, scales };
}

/** [KH, KW, Cin, Cout] -> [Cout, KH, KW, Cin] (conv1d: KH = 1; dense: KH = KW = 1). */
export function toOhwi(w: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let ky = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++)
          out[((o * kh + ky) * kw + kx) * cin + c] = w[((ky * kw + kx) * cin + c) * cout + o]!;
  return out;
}
