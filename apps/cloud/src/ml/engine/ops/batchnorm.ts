/**
 * batchNorm over the last (channel) axis. Training normalises with the batch statistics and updates
 * the running ones (momentum, unbiased variance, as PyTorch); eval uses the running statistics.
 *
 * Data-parallel shards: the per-channel sums (forward: Σx, Σx², count; backward: Σdy, Σdy·x̂) are
 * reduced over the collective, so every shard normalises with the statistics of the whole batch, as
 * one thread would. The gamma / beta gradients are whole-batch sums after that reduction, so only
 * rank 0 reports them (the others write 0) and the trainer's gradient sum counts them once.
 */
import type { BatchNormNode } from '../../graph/types.js';
import { shapeSize } from '../../graph/types.js';
import type { Buf } from '../../kernels/arena.js';
import type { Layer, LayerContext } from '../layer.js';

const BLOCK = 128; // rows summed in float32 (wasm SIMD) before accumulating in float64

export function batchNormLayer(ctx: LayerContext<BatchNormNode>): Layer {
  const shape = ctx.inShapes[0]!;
  const c = shape[shape.length - 1]!;
  const spatial = shapeSize(shape) / c;
  const { epsilon, momentum } = ctx.node.attrs;
  const { collective, kernels, arena } = ctx;
  const xhat = arena.alloc(ctx.training ? ctx.capacity * shapeSize(shape) : 0);
  const scale = arena.alloc(c);
  const shift = arena.alloc(c);
  const sum = arena.alloc(c);
  const sq = arena.alloc(c);
  const pivot = arena.alloc(c);
  const coefB = arena.alloc(c);
  /** [Σ | Σ² | count] in forward, [Σdy | Σdy·x̂] in backward. */
  const red = new Float64Array(2 * c + 1);
  let lastTraining = false;
  let rowsTotal = 0;

  /** red[0..2c) = per-channel block sums of `a` (against `other`; see Kernels.channelSums). */
  const sums = (a: Buf, other: Buf, rows: number, dot: boolean): void => {
    red.fill(0);
    const s = sum.f32;
    const q = sq.f32;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      kernels.channelSums(a, other, sum, sq, r0, Math.min(rows, r0 + BLOCK), c, dot);
      for (let ch = 0; ch < c; ch++) {
        red[ch]! += s[ch]!;
        red[c + ch]! += q[ch]!;
      }
    }
  };

  return {
    forward(n, training) {
      const x = ctx.x[0]!;
      const gamma = ctx.p.gamma!;
      const beta = ctx.p.beta!;
      const rm = ctx.p.mean!.f32;
      const rv = ctx.p.variance!.f32;
      const k = scale.f32;
      const b = shift.f32;
      const rows = n * spatial;
      lastTraining = training;
      if (!training) {
        const gm = gamma.f32;
        const bt = beta.f32;
        for (let ch = 0; ch < c; ch++) {
          k[ch] = gm[ch]! / Math.sqrt(rv[ch]! + epsilon);
          b[ch] = bt[ch]! - rm[ch]! * k[ch]!;
        }
        kernels.affine(x, ctx.y, scale, shift, rows, c);
        return;
      }
      // shift by the running mean (equal on every shard, close to the batch mean) before squaring
      pivot.f32.set(rm);
      const pv = pivot.f32;
      sums(x, pivot, rows, false);
      red[2 * c] = rows;
      collective.allReduce(red, 2 * c + 1);
      const total = red[2 * c]!;
      rowsTotal = total;
      for (let ch = 0; ch < c; ch++) {
        const d = red[ch]! / total;
        const mean = d + pv[ch]!;
        const variance = Math.max(0, red[c + ch]! / total - d * d);
        const inv = 1 / Math.sqrt(variance + epsilon);
        k[ch] = inv;
        b[ch] = -mean * inv;
        rm[ch] = (1 - momentum) * rm[ch]! + momentum * mean;
        rv[ch] = (1 - momentum) * rv[ch]! + (momentum * variance * total) / Math.max(1, total - 1);
      }
      kernels.affine(x, xhat, scale, shift, rows, c);
      kernels.affine(xhat, ctx.y, gamma, beta, rows, c);
    },
    backward(n) {
      if (!lastTraining) throw new Error('batchNorm backward needs a training forward pass');
      const dy = ctx.dy!;
      const rows = n * spatial;
      sums(dy, xhat, rows, true);
      collective.allReduce(red, 2 * c);
      const gg = ctx.g.gamma!.f32;
      const gbeta = ctx.g.beta!.f32;
      const own = collective.rank === 0 ? 1 : 0;
      for (let ch = 0; ch < c; ch++) {
        gbeta[ch] = own * red[ch]!;
        gg[ch] = own * red[c + ch]!;
      }
      const dxb = ctx.dx[0];
      if (!dxb) return;
      // dx = γ·invstd·(dy − Σdy/N − x̂·Σ(dy·x̂)/N) = A·dy + B·x̂ + C per channel
      const gamma = ctx.p.gamma!.f32;
      const inv = scale.f32;
      const A = sum.f32;
      const B = coefB.f32;
      const C = sq.f32;
      for (let ch = 0; ch < c; ch++) {
        const kk = gamma[ch]! * inv[ch]!;
        A[ch] = kk;
        B[ch] = (-kk * red[c + ch]!) / rowsTotal;
        C[ch] = (-kk * red[ch]!) / rowsTotal;
      }
      kernels.affine2(dy, xhat, dxb, sum, coefB, sq, rows, c);
    },
  };
}
