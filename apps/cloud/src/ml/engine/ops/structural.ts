/** add, concat (last axis), dropout. flatten and reshape alias their input and need no layer. */
import type { AddNode, ConcatNode, DropoutNode } from '../../graph/types.js';
import { shapeSize } from '../../graph/types.js';
import { mixSeed, Rng } from '../../tensor/rng.js';
import type { Layer, LayerContext } from '../layer.js';

export function addLayer(ctx: LayerContext<AddNode>): Layer {
  const size = shapeSize(ctx.outShape);
  return {
    forward(n) {
      const y = ctx.y.f32;
      const len = n * size;
      y.set(ctx.x[0]!.f32.subarray(0, len));
      for (let k = 1; k < ctx.x.length; k++) {
        const x = ctx.x[k]!.f32;
        for (let i = 0; i < len; i++) y[i]! += x[i]!;
      }
    },
    backward(n) {
      const dy = ctx.dy!.f32.subarray(0, n * size);
      for (const dx of ctx.dx) dx?.f32.set(dy);
    },
  };
}

export function concatLayer(ctx: LayerContext<ConcatNode>): Layer {
  const cs = ctx.inShapes.map((s) => s[s.length - 1]!);
  const cout = ctx.outShape[ctx.outShape.length - 1]!;
  const rowsPer = shapeSize(ctx.outShape) / cout;
  return {
    forward(n) {
      const y = ctx.y.f32;
      let off = 0;
      ctx.x.forEach((xb, k) => {
        const x = xb.f32;
        const c = cs[k]!;
        for (let r = 0; r < n * rowsPer; r++) {
          for (let ch = 0; ch < c; ch++) y[r * cout + off + ch] = x[r * c + ch]!;
        }
        off += c;
      });
    },
    backward(n) {
      const dy = ctx.dy!.f32;
      let off = 0;
      ctx.dx.forEach((dxb, k) => {
        const c = cs[k]!;
        if (dxb) {
          const dx = dxb.f32;
          for (let r = 0; r < n * rowsPer; r++) {
            for (let ch = 0; ch < c; ch++) dx[r * c + ch] = dy[r * cout + off + ch]!;
          }
        }
        off += c;
      });
    },
  };
}

export function dropoutLayer(ctx: LayerContext<DropoutNode>): Layer {
  const size = shapeSize(ctx.outShape);
  const rate = ctx.node.attrs.rate;
  const scale = 1 / (1 - rate);
  const mask = ctx.training ? new Float32Array(ctx.capacity * size) : new Float32Array(0);
  return {
    forward(n, training, step) {
      const x = ctx.x[0]!.f32;
      const y = ctx.y.f32;
      const len = n * size;
      const rng = new Rng(mixSeed(ctx.seed, step));
      if (!training || rate === 0) {
        y.set(x.subarray(0, len));
        if (training) mask.fill(1, 0, len);
        return;
      }
      for (let i = 0; i < len; i++) {
        const m = rng.next() >= rate ? scale : 0;
        mask[i] = m;
        y[i] = x[i]! * m;
      }
    },
    backward(n) {
      const dxb = ctx.dx[0];
      if (!dxb) return;
      const dy = ctx.dy!.f32;
      const dx = dxb.f32;
      for (let i = 0; i < n * size; i++) dx[i] = dy[i]! * mask[i]!;
    },
  };
}
