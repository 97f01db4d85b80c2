/**
 * One sample's backward pass over the trained chain (PROTOCOL.md §6.6.3, §6.6.4): from the output
 * error down to the first trained op, masking, routing and propagating uint8 errors, and adding the
 * weight gradients of the chosen structures of every trained op into its step accumulators.
 */
import { relu6Max } from '../quant/elementwise.js';
import type { QParams } from '../quant/types.js';
import { size } from '../quant/types.js';
import {
  activationMask,
  avgPoolBackward,
  convBackwardInput,
  convWeightGrad,
  denseBackwardInput,
  denseWeightGrad,
  depthwiseBackwardInput,
  depthwiseWeightGrad,
  maxPoolBackward,
  type QData,
} from './backward.js';
import type { ChainOp, TrainedChain, WeightedInfo } from './model.js';
import { f32, i2f, type Range } from './numerics.js';
import { quantizeAccumulators } from './range.js';

/** A layer's accumulators over the step (PROTOCOL.md §6.6.4, §6.6.8). */
export interface LayerStep {
  /** m_s: Σ |e - z_e| over the batch and the output positions, per structure. */
  readonly magnitudes: Float64Array;
  /** Structures whose gradient is accumulated (the selection with bs = 1, else all). */
  rows: Uint16Array | null;
  /** Σ over the batch of the binary32 gradient, row r for rows[r]. */
  grad: Float32Array;
  biasGrad: Float32Array;
  eps: number;
}

export interface BackwardContext {
  readonly chain: TrainedChain;
  /** Weights (uint8 + qparams) of every weighted chain op, current. */
  weights(op: ChainOp): { q: Uint8Array; qp: QParams };
  readonly trained: ReadonlyMap<number, LayerStep>;
  /** Range trackers of the error tensors, by value name. */
  readonly errorRanges: Map<string, Range>;
  readonly errorRate: number;
  /** Called once per trained layer when its magnitudes are complete: the rows to compute (bs = 1). */
  select(op: ChainOp, step: LayerStep): Uint16Array;
  macs: { wgrad: number; eprop: number };
}

/** PROTOCOL.md §6.6.4, §6.6.8 (bs > 1): the chosen rows of the batch sums, divided by f(bs). */
export function meanRows(
  ls: LayerStep,
  rows: Uint16Array,
  es: number,
  bs: number,
): { grad: Float32Array; biasGrad: Float32Array } {
  const grad = new Float32Array(rows.length * es);
  const biasGrad = new Float32Array(rows.length);
  const inv = f32(bs);
  rows.forEach((s, r) => {
    for (let j = 0; j < es; j++) grad[r * es + j] = f32(ls.grad[s * es + j]! / inv);
    biasGrad[r] = f32(ls.biasGrad[s]! / inv);
  });
  return { grad, biasGrad };
}

export interface ErrorTensor {
  q: Uint8Array;
  qp: QParams;
}

function errorRange(ctx: BackwardContext, name: string): Range {
  return ctx.errorRanges.get(name) ?? { lo: -1, hi: 1 };
}

function weightGrad(
  ctx: BackwardContext,
  op: ChainOp,
  w: WeightedInfo,
  ls: LayerStep,
  x: QData,
  e: ErrorTensor,
) {
  const N = w.structures;
  const ez = e.qp.zeroPoint;
  const sums = new Int32Array(N);
  for (let p = 0; p < w.positions; p++)
    for (let s = 0; s < N; s++) {
      const d = e.q[p * N + s]! - ez;
      ls.magnitudes[s] = ls.magnitudes[s]! + (d < 0 ? -d : d);
      sums[s] = sums[s]! + d;
    }
  const rows = ls.rows ?? ctx.select(op, ls);
  if (!ls.rows) {
    ls.rows = rows;
    ls.grad = new Float32Array(rows.length * w.elements);
    ls.biasGrad = new Float32Array(rows.length);
  }
  const g = new Int32Array(rows.length * w.elements);
  const eq: QData = { q: e.q, z: ez };
  if (w.kind === 'dense') ctx.macs.wgrad += denseWeightGrad(w.inputs, x, eq, rows, g);
  else if (w.kind === 'conv') ctx.macs.wgrad += convWeightGrad(w.geom!, x, eq, rows, g);
  else ctx.macs.wgrad += depthwiseWeightGrad(w.geom!, x, eq, rows, g);
  // PROTOCOL.md §6.6.4: real gradient = f32(s_x * s_e) * f32(G), summed over the batch in binary32
  const unit = f32(op.x.q.scale * e.qp.scale);
  for (let i = 0; i < g.length; i++) ls.grad[i] = f32(ls.grad[i]! + f32(unit * i2f(g[i]!)));
  for (let r = 0; r < rows.length; r++)
    ls.biasGrad[r] = f32(ls.biasGrad[r]! + f32(e.qp.scale * i2f(sums[rows[r]!]!)));
}

/**
 * PROTOCOL.md §6.6.3: backward of one sample. `vals` holds the forward values (kept activations),
 * `e` the quantized error of the logits.
 */
export function backwardSample(
  ctx: BackwardContext,
  vals: ReadonlyMap<string, Uint8Array>,
  e0: ErrorTensor,
): void {
  const ops = ctx.chain.ops;
  let e = e0;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    const n = op.node;
    const y = vals.get(n.output)!;
    const x = vals.get(n.inputs[0]!)!;
    if (op.weighted) {
      const w = op.weighted;
      const node = w.node;
      // fused activation: a lower cut where actMin is the output zero point, an upper one below 255
      const lower = node.actMin === op.y.q.zeroPoint ? node.actMin : null;
      activationMask(y, lower, node.actMax, e.q, e.qp.zeroPoint);
      const ls = ctx.trained.get(op.index);
      if (ls) weightGrad(ctx, op, w, ls, { q: x, z: op.x.q.zeroPoint }, e);
      if (i === 0) break; // PROTOCOL.md §6.6.2: nothing below the first trained op
      const wt = ctx.weights(op);
      const acc = new Int32Array(size(op.x.shape));
      const wq: QData = { q: wt.q, z: wt.qp.zeroPoint };
      const eq: QData = { q: e.q, z: e.qp.zeroPoint };
      if (w.kind === 'dense') ctx.macs.eprop += denseBackwardInput(w.inputs, w.structures, wq, eq, acc);
      else if (w.kind === 'conv') ctx.macs.eprop += convBackwardInput(w.geom!, wq, eq, acc);
      else ctx.macs.eprop += depthwiseBackwardInput(w.geom!, wq, eq, acc);
      e = propagate(ctx, op.x.name, acc, wt.qp.scale, e.qp.scale, 0);
    } else if (n.op === 'relu' || n.op === 'relu6') {
      const hi = n.op === 'relu' ? 255 : relu6Max(op.x.q);
      activationMask(y, op.x.q.zeroPoint, hi, e.q, e.qp.zeroPoint);
    } else if (n.op === 'maxPool') {
      const dx = new Uint8Array(x.length);
      maxPoolBackward(op.pool!, x, { q: e.q, z: e.qp.zeroPoint }, dx);
      e = { q: dx, qp: e.qp };
    } else if (n.op === 'avgPool' || n.op === 'globalAvgPool') {
      const acc = new Int32Array(x.length);
      avgPoolBackward(op.pool!, { q: e.q, z: e.qp.zeroPoint }, acc);
      e = propagate(ctx, op.x.name, acc, e.qp.scale, 1, -16);
    }
    // reshape: the error keeps its bytes and qparams
  }
}

function propagate(
  ctx: BackwardContext,
  name: string,
  acc: Int32Array,
  a: number,
  b: number,
  p: number,
): ErrorTensor {
  const r = quantizeAccumulators(
    acc,
    { a, b, p },
    errorRange(ctx, name),
    ctx.errorRate,
    new Uint8Array(acc.length),
  );
  ctx.errorRanges.set(name, r.range);
  return { q: r.q, qp: r.qp };
}
