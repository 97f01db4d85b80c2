/**
 * Plain-JS reference kernels: the readable definition the wasm kernels are tested against.
 * im2col / col2im over NHWC: one row of `cols` per output pixel, columns ordered (kh, kw, c).
 */
import type { WindowGeometry as Geometry } from './kernels.js';

export function im2col(g: Geometry, x: Float32Array, cols: Float32Array, n: number): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, padT, padL } = g;
  const rowLen = kh * kw * c;
  const contiguous = dw === 1;
  let r = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, r += rowLen) {
        let o = r;
        const ix0 = ox * sw - padL;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky * dh;
          if (iy < 0 || iy >= h) {
            cols.fill(0, o, o + kw * c);
            o += kw * c;
            continue;
          }
          const rowBase = xb + iy * w * c;
          if (contiguous && ix0 >= 0 && ix0 + kw <= w) {
            const s = rowBase + ix0 * c;
            const len = kw * c;
            for (let i = 0; i < len; i++) cols[o + i] = x[s + i]!;
            o += len;
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix < 0 || ix >= w) cols.fill(0, o, o + c);
            else {
              const s = rowBase + ix * c;
              for (let i = 0; i < c; i++) cols[o + i] = x[s + i]!;
            }
            o += c;
          }
        }
      }
    }
  }
}

/** dx = col2im(dcols): scatter-add every column entry back to its input position (dx overwritten). */
export function col2im(g: Geometry, dcols: Float32Array, dx: Float32Array, n: number): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, padT, padL } = g;
  const rowLen = kh * kw * c;
  dx.fill(0, 0, n * h * w * c);
  let r = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, r += rowLen) {
        let o = r;
        const ix0 = ox * sw - padL;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky * dh;
          if (iy < 0 || iy >= h) {
            o += kw * c;
            continue;
          }
          const rowBase = xb + iy * w * c;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix >= 0 && ix < w) {
              const s = rowBase + ix * c;
              for (let i = 0; i < c; i++) dx[s + i]! += dcols[o + i]!;
            }
            o += c;
          }
        }
      }
    }
  }
}

/** Max pooling (taps outside the input are skipped). */
export function maxPoolRef(g: Geometry, x: Float32Array, y: Float32Array, n: number): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, padT, padL } = g;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let m = Number.NEGATIVE_INFINITY;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - padT + ky;
              const ix = ox * sw - padL + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                m = Math.max(m, x[((b * h + iy) * w + ix) * c + ch]!);
            }
          }
          y[((b * oh + oy) * ow + ox) * c + ch] = m;
        }
      }
    }
  }
}
