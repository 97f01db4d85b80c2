/** relu, relu6 (gradient passes where the input is inside the linear range), softmax (last axis). */
import type { Relu6Node, ReluNode, SoftmaxNode } from '../../graph/types.js';
import { shapeSize } from '../../graph/types.js';
import type { Layer, LayerContext } from '../layer.js';

export function reluLayer(ctx: LayerContext<ReluNode | Relu6Node>): Layer {
  const size = shapeSize(ctx.outShape);
  const hi = ctx.node.op === 'relu6' ? 6 : Number.POSITIVE_INFINITY;
  const { kernels } = ctx;
  return {
    forward(n) {
      kernels.relu(ctx.x[0]!, ctx.y, n * size, hi);
    },
    backward(n) {
      const dx = ctx.dx[0];
      if (dx) kernels.reluBackward(ctx.x[0]!, ctx.dy!, dx, n * size, hi);
    },
  };
}

export function softmaxLayer(ctx: LayerContext<SoftmaxNode>): Layer {
  const shape = ctx.outShape;
  const k = shape[shape.length - 1]!;
  const rowsPer = shapeSize(shape) / k;
  return {
    forward(n) {
      const x = ctx.x[0]!.f32;
      const y = ctx.y.f32;
      for (let r = 0; r < n * rowsPer; r++) {
        const o = r * k;
        let mx = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < k; i++) mx = Math.max(mx, x[o + i]!);
        let s = 0;
        for (let i = 0; i < k; i++) {
          const e = Math.exp(x[o + i]! - mx);
          y[o + i] = e;
          s += e;
        }
        for (let i = 0; i < k; i++) y[o + i]! /= s;
      }
    },
    backward(n) {
      const dxb = ctx.dx[0];
      if (!dxb) return;
      const y = ctx.y.f32;
      const dy = ctx.dy!.f32;
      const dx = dxb.f32;
      for (let r = 0; r < n * rowsPer; r++) {
        const o = r * k;
        let dot = 0;
        for (let i = 0; i < k; i++) dot += dy[o + i]! * y[o + i]!;
        for (let i = 0; i < k; i++) dx[o + i] = y[o + i]! * (dy[o + i]! - dot);
      }
    },
  };
}
