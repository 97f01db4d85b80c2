/**
 * depthwiseConv2d (multiplier 1), NHWC, by the wasm tap-table kernels (`kernels/wasm/channel.ts`):
 * each output pixel lists its valid taps once at compile time, so the kernels carry no bounds tests
 * and run 4 channels per SIMD lane group.
 */
import type { DepthwiseConv2DNode } from '../../graph/types.js';
import { tapTable } from '../../kernels/kernels.js';
import type { Layer, LayerContext } from '../layer.js';
import { geometry } from './geometry.js';

export function depthwiseLayer(ctx: LayerContext<DepthwiseConv2DNode>): Layer {
  const a = ctx.node.attrs;
  const g = geometry(ctx.inShapes[0]!, a.kernel, a.strides, a.dilation, a.padding);
  const { h, w, c, kw } = g;
  const { kernels, arena } = ctx;
  const taps = tapTable(arena, g, (ky, kx) => ky * kw + kx);
  const zeros = ctx.p.bias ? null : arena.alloc(c);

  return {
    forward(n) {
      kernels.tapForward(taps, ctx.x[0]!, ctx.y, ctx.p.weight!, ctx.p.bias ?? zeros!, n);
    },
    backward(n) {
      const dy = ctx.dy!;
      const gw = ctx.g.weight!;
      gw.f32.fill(0);
      const gb = ctx.g.bias?.f32;
      if (gb) {
        const d = dy.f32;
        gb.fill(0);
        const total = n * g.oh * g.ow;
        for (let p = 0; p < total; p++) for (let ch = 0; ch < c; ch++) gb[ch]! += d[p * c + ch]!;
      }
      const dx = ctx.dx[0] ?? null;
      if (dx) dx.f32.fill(0, 0, n * h * w * c);
      kernels.tapBackward(taps, ctx.x[0]!, dy, ctx.p.weight!, gw, dx, n);
    },
  };
}
