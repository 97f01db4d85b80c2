/** maxPool and avgPool (wasm kernels; avgPool = mean of the valid taps), globalAvgPool. */
import type { AvgPoolNode, GlobalAvgPoolNode, MaxPoolNode } from '../../graph/types.js';
import { shapeSize } from '../../graph/types.js';
import { tapTable } from '../../kernels/kernels.js';
import type { Layer, LayerContext } from '../layer.js';
import { type Geometry, geometry } from './geometry.js';

export function poolLayer(ctx: LayerContext<MaxPoolNode | AvgPoolNode>): Layer {
  const a = ctx.node.attrs;
  const g = geometry(ctx.inShapes[0]!, a.kernel, a.strides, undefined, a.padding);
  const { h, w, c, oh, ow, kh, kw, sh, sw, padT, padL } = g;
  if (ctx.node.op === 'maxPool') return maxPoolLayer(ctx, g);
  // avgPool = a depthwise window whose weights are 1 / (valid taps of the output pixel): one weight
  // row per distinct tap count, run by the wasm tap-table kernels
  const count = (oy: number, ox: number): number => {
    const y0 = Math.max(0, oy * sh - padT);
    const y1 = Math.min(h, oy * sh - padT + kh);
    const x0 = Math.max(0, ox * sw - padL);
    const x1 = Math.min(w, ox * sw - padL + kw);
    return (y1 - y0) * (x1 - x0);
  };
  const rowOf = new Map<number, number>();
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) if (!rowOf.has(count(oy, ox))) rowOf.set(count(oy, ox), rowOf.size);
  const { kernels, arena } = ctx;
  const weights = arena.alloc(rowOf.size * c);
  for (const [k, row] of rowOf) weights.f32.fill(1 / k, row * c, (row + 1) * c);
  const zeros = arena.alloc(c);
  const taps = tapTable(arena, g, (_ky, _kx, oy, ox) => rowOf.get(count(oy, ox))!);
  return {
    forward(n) {
      kernels.tapForward(taps, ctx.x[0]!, ctx.y, weights, zeros, n);
    },
    backward(n) {
      const dx = ctx.dx[0];
      if (!dx) return;
      dx.f32.fill(0, 0, n * h * w * c);
      kernels.tapBackward(taps, ctx.x[0]!, ctx.dy!, weights, null, dx, n);
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
