/**
 * Separable image resampling: area averaging when shrinking (each output pixel averages the source pixels it
 * covers, with fractional edge weights), bilinear with half-pixel centres when enlarging.
 */

interface Taps {
  readonly start: number;
  readonly weights: Float64Array;
}

export function axisTaps(src: number, dst: number): Taps[] {
  const scale = src / dst;
  const taps: Taps[] = [];
  for (let o = 0; o < dst; o++) {
    if (scale > 1) {
      const a = o * scale;
      const b = a + scale;
      const start = Math.floor(a);
      const end = Math.min(Math.ceil(b), src);
      const w = new Float64Array(end - start);
      for (let i = start; i < end; i++) w[i - start] = (Math.min(b, i + 1) - Math.max(a, i)) / scale;
      taps.push({ start, weights: w });
    } else {
      const c = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
      const i0 = Math.floor(c);
      const f = c - i0;
      taps.push(
        i0 + 1 < src
          ? { start: i0, weights: Float64Array.of(1 - f, f) }
          : { start: i0, weights: Float64Array.of(1) },
      );
    }
  }
  return taps;
}

/**
 * Resizes interleaved 8-bit pixels with `stride` bytes per pixel (e.g. 4 for RGBA), keeping the first
 * `channels`, to float [dstH, dstW, channels] scaled by `scale` (1/255 gives [0, 1]).
 */
export function resizeToFloat(
  src: Uint8Array,
  width: number,
  height: number,
  stride: number,
  channels: number,
  dstW: number,
  dstH: number,
  scale: number,
): Float32Array {
  const xs = axisTaps(width, dstW);
  const ys = axisTaps(height, dstH);
  const rows = new Float64Array(height * dstW * channels); // horizontal pass
  for (let y = 0; y < height; y++) {
    for (let ox = 0; ox < dstW; ox++) {
      const t = xs[ox] as Taps;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < t.weights.length; k++) {
          acc += (t.weights[k] as number) * (src[(y * width + t.start + k) * stride + c] as number);
        }
        rows[(y * dstW + ox) * channels + c] = acc;
      }
    }
  }
  const out = new Float32Array(dstH * dstW * channels);
  for (let oy = 0; oy < dstH; oy++) {
    const t = ys[oy] as Taps;
    for (let i = 0; i < dstW * channels; i++) {
      let acc = 0;
      for (let k = 0; k < t.weights.length; k++) {
        acc += (t.weights[k] as number) * (rows[(t.start + k) * dstW * channels + i] as number);
      }
      out[oy * dstW * channels + i] = acc * scale;
    }
  }
  return out;
}
