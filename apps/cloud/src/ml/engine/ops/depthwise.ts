/** depthwiseConv2d (multiplier 1), NHWC, direct loops vectorised over channels. */
import type { DepthwiseConv2DNode } from '../../graph/types.js';
import type { Layer, LayerContext } from '../layer.js';
import { geometry } from './geometry.js';

export function depthwiseLayer(ctx: LayerContext<DepthwiseConv2DNode>): Layer {
  const a = ctx.node.attrs;
  const g = geometry(ctx.inShapes[0]!, a.kernel, a.strides, a.dilation, a.padding);
  const { h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, padT, padL } = g;
  const x = ctx.x[0]!;
  const dxBuf = ctx.dx[0] ?? null;

  /** Visit every (output pixel, kernel tap) pair with valid input: f(outBase, inBase, wBase). */
  const taps = (n: number, f: (o: number, i: number, wi: number) => void): void => {
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const o = ((b * oh + oy) * ow + ox) * c;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padT + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padL + kx * dw;
              if (ix < 0 || ix >= w) continue;
              f(o, ((b * h + iy) * w + ix) * c, (ky * kw + kx) * c);
            }
          }
        }
      }
    }
  };

  return {
    forward(n) {
      const xv = x.f32;
      const y = ctx.y.f32;
      const wt = ctx.p.weight!.f32;
      const bias = ctx.p.bias?.f32;
      const total = n * oh * ow;
      for (let p = 0; p < total; p++) {
        for (let ch = 0; ch < c; ch++) y[p * c + ch] = bias ? bias[ch]! : 0;
      }
      taps(n, (o, i, wi) => {
        for (let ch = 0; ch < c; ch++) y[o + ch]! += xv[i + ch]! * wt[wi + ch]!;
      });
    },
    backward(n) {
      const xv = x.f32;
      const dy = ctx.dy!.f32;
      const wt = ctx.p.weight!.f32;
      const gw = ctx.g.weight!.f32;
      gw.fill(0);
      const gb = ctx.g.bias?.f32;
      if (gb) {
        gb.fill(0);
        const total = n * oh * ow;
        for (let p = 0; p < total; p++) for (let ch = 0; ch < c; ch++) gb[ch]! += dy[p * c + ch]!;
      }
      const dx = dxBuf?.f32;
      if (dx) dx.fill(0, 0, n * h * w * c);
      taps(n, (o, i, wi) => {
        for (let ch = 0; ch < c; ch++) {
          const d = dy[o + ch]!;
          gw[wi + ch]! += xv[i + ch]! * d;
          if (dx) dx[i + ch]! += wt[wi + ch]! * d;
        }
      });
    },
  };
}
