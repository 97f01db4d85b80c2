/**
 * batchNorm over the last (channel) axis. Training normalises with the batch statistics and updates
 * the running ones (momentum, unbiased variance, as PyTorch); eval uses the running statistics.
 */
import type { BatchNormNode } from '../../graph/types.js';
import { shapeSize } from '../../graph/types.js';
import type { Layer, LayerContext } from '../layer.js';

export function batchNormLayer(ctx: LayerContext<BatchNormNode>): Layer {
  const shape = ctx.inShapes[0]!;
  const c = shape[shape.length - 1]!;
  const spatial = shapeSize(shape) / c;
  const { epsilon, momentum } = ctx.node.attrs;
  const xhat = ctx.training ? new Float32Array(ctx.capacity * shapeSize(shape)) : new Float32Array(0);
  const invstd = new Float32Array(c);
  const mean = new Float64Array(c);
  const vsum = new Float64Array(c);
  const dg = new Float64Array(c);
  const db = new Float64Array(c);
  let lastTraining = false;

  return {
    forward(n, training) {
      const x = ctx.x[0]!.f32;
      const y = ctx.y.f32;
      const gamma = ctx.p.gamma!.f32;
      const beta = ctx.p.beta!.f32;
      const rm = ctx.p.mean!.f32;
      const rv = ctx.p.variance!.f32;
      const rows = n * spatial;
      lastTraining = training;
      if (!training) {
        for (let ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.sqrt(rv[ch]! + epsilon);
        for (let r = 0; r < rows; r++) {
          const o = r * c;
          for (let ch = 0; ch < c; ch++)
            y[o + ch] = (x[o + ch]! - rm[ch]!) * invstd[ch]! * gamma[ch]! + beta[ch]!;
        }
        return;
      }
      mean.fill(0);
      vsum.fill(0);
      for (let r = 0; r < rows; r++) for (let ch = 0; ch < c; ch++) mean[ch]! += x[r * c + ch]!;
      for (let ch = 0; ch < c; ch++) mean[ch]! /= rows;
      for (let r = 0; r < rows; r++) {
        for (let ch = 0; ch < c; ch++) {
          const d = x[r * c + ch]! - mean[ch]!;
          vsum[ch]! += d * d;
        }
      }
      for (let ch = 0; ch < c; ch++) {
        invstd[ch] = 1 / Math.sqrt(vsum[ch]! / rows + epsilon);
        rm[ch] = (1 - momentum) * rm[ch]! + momentum * mean[ch]!;
        rv[ch] = (1 - momentum) * rv[ch]! + (momentum * vsum[ch]!) / Math.max(1, rows - 1);
      }
      for (let r = 0; r < rows; r++) {
        const o = r * c;
        for (let ch = 0; ch < c; ch++) {
          const xh = (x[o + ch]! - mean[ch]!) * invstd[ch]!;
          xhat[o + ch] = xh;
          y[o + ch] = xh * gamma[ch]! + beta[ch]!;
        }
      }
    },
    backward(n) {
      if (!lastTraining) throw new Error('batchNorm backward needs a training forward pass');
      const dy = ctx.dy!.f32;
      const gamma = ctx.p.gamma!.f32;
      const rows = n * spatial;
      dg.fill(0);
      db.fill(0);
      for (let r = 0; r < rows; r++) {
        const o = r * c;
        for (let ch = 0; ch < c; ch++) {
          dg[ch]! += dy[o + ch]! * xhat[o + ch]!;
          db[ch]! += dy[o + ch]!;
        }
      }
      const gg = ctx.g.gamma!.f32;
      const gbeta = ctx.g.beta!.f32;
      for (let ch = 0; ch < c; ch++) {
        gg[ch] = dg[ch]!;
        gbeta[ch] = db[ch]!;
      }
      const dxb = ctx.dx[0];
      if (!dxb) return;
      const dx = dxb.f32;
      for (let r = 0; r < rows; r++) {
        const o = r * c;
        for (let ch = 0; ch < c; ch++) {
          const k = (gamma[ch]! * invstd[ch]!) / rows;
          dx[o + ch] = k * (rows * dy[o + ch]! - db[ch]! - xhat[o + ch]! * dg[ch]!);
        }
      }
    },
  };
}
