/** maxPool (wasm kernels), avgPool (mean of the valid taps), globalAvgPool. */
import type { AvgPoolNode, GlobalAvgPoolNode, MaxPoolNode } from '../../graph/types.js';
import { shapeSize } from '../../graph/types.js';
import type { Layer, LayerContext } from '../layer.js';
import { type Geometry, geometry } from './geometry.js';

export function poolLayer(ctx: LayerContext<MaxPoolNode | AvgPoolNode>): Layer {
  const a = ctx.node.attrs;
  const g = geometry(ctx.inShapes[0]!, a.kernel, a.strides, undefined, a.padding);
  const { h, w, c, oh, ow, kh, kw, sh, sw, padT, padL } = g;
  if (ctx.node.op === 'maxPool') return maxPoolLayer(ctx, g);
  /** Number of valid taps per output pixel (avgPool). */
  const counts = new Float32Array(oh * ow);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const y0 = Math.max(0, oy * sh - padT);
      const y1 = Math.min(h, oy * sh - padT + kh);
      const x0 = Math.max(0, ox * sw - padL);
      const x1 = Math.min(w, ox * sw - padL + kw);
      counts[oy * ow + ox] = (y1 - y0) * (x1 - x0);
    }
  }
  return {
    forward(n) {
      const x = ctx.x[0]!.f32;
      const y = ctx.y.f32;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < oh; oy++) {
          const y0 = Math.max(0, oy * sh - padT);
          const y1 = Math.min(h, oy * sh - padT + kh);
          for (let ox = 0; ox < ow; ox++) {
            const x0 = Math.max(0, ox * sw - padL);
            const x1 = Math.min(w, ox * sw - padL + kw);
            const o = ((b * oh + oy) * ow + ox) * c;
            y.fill(0, o, o + c);
            for (let iy = y0; iy < y1; iy++) {
              for (let ix = x0; ix < x1; ix++) {
                const i = ((b * h + iy) * w + ix) * c;
                for (let ch = 0; ch < c; ch++) y[o + ch]! += x[i + ch]!;
              }
            }
            const inv = 1 / counts[oy * ow + ox]!;
            for (let ch = 0; ch < c; ch++) y[o + ch]! *= inv;
          }
        }
      }
    },
    backward(n) {
      const dxb = ctx.dx[0];
      if (!dxb) return;
      const dy = ctx.dy!.f32;
      const dx = dxb.f32;
      dx.fill(0, 0, n * h * w * c);
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < oh; oy++) {
          const y0 = Math.max(0, oy * sh - padT);
          const y1 = Math.min(h, oy * sh - padT + kh);
          for (let ox = 0; ox < ow; ox++) {
            const x0 = Math.max(0, ox * sw - padL);
            const x1 = Math.min(w, ox * sw - padL + kw);
            const o = ((b * oh + oy) * ow + ox) * c;
            const inv = 1 / counts[oy * ow + ox]!;
            for (let iy = y0; iy < y1; iy++) {
              for (let ix = x0; ix < x1; ix++) {
                const i = ((b * h + iy) * w + ix) * c;
                for (let ch = 0; ch < c; ch++) dx[i + ch]! += dy[o + ch]! * inv;
              }
            }
          }
        }
      }
    },
  };
}

export function globalAvgPoolLayer(ctx: LayerContext<GlobalAvgPoolNode>): Layer {
  const c = ctx.outShape[0]!;
  const spatial = shapeSize(ctx.inShapes[0]!) / c;
  return {
    forward(n) {
      const x = ctx.x[0]!.f32;
      const y = ctx.y.f32;
      y.fill(0, 0, n * c);
      for (let b = 0; b < n; b++) {
        for (let s = 0; s < spatial; s++) {
          const i = (b * spatial + s) * c;
          for (let ch = 0; ch < c; ch++) y[b * c + ch]! += x[i + ch]!;
        }
      }
      for (let i = 0; i < n * c; i++) y[i]! /= spatial;
    },
    backward(n) {
      const dxb = ctx.dx[0];
      if (!dxb) return;
      const dy = ctx.dy!.f32;
      const dx = dxb.f32;
      for (let b = 0; b < n; b++) {
        for (let s = 0; s < spatial; s++) {
          const i = (b * spatial + s) * c;
          for (let ch = 0; ch < c; ch++) dx[i + ch] = dy[b * c + ch]! / spatial;
        }
      }
    },
  };
}

function maxPoolLayer(ctx: LayerContext<MaxPoolNode | AvgPoolNode>, g: Geometry): Layer {
  const { kernels } = ctx;
  return {
    forward(n) {
      kernels.maxPool(g, ctx.x[0]!, ctx.y, n);
    },
    backward(n) {
      const dx = ctx.dx[0];
      if (dx) kernels.maxPoolBackward(g, ctx.x[0]!, ctx.y, ctx.dy!, dx, n);
    },
  };
}
