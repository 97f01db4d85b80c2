/**
 * Fake quantization for quantization-aware training: a layer decorator that makes a float op compute
 * what the integer model will (PROTOCOL.md §6.1, §6.4), with straight-through-estimator gradients.
 *
 * A node carries `attrs.fakeQuant` (set by the QAT graph transform, `quant/qat/transform.ts`):
 * - `weight`: the op's weights are replaced, on every forward, by their quantize-dequantize image
 *   exactly as PTQ will quantize them (`quantizeWeights`: uint8 per tensor or int8 symmetric per
 *   output channel); the gradient w.r.t. those values flows straight to the float weights.
 * - `output`: the op's output is quantized in place with uint8 qparams from the range held in the
 *   node's `qrange` parameter (`[min, max]`); in training forwards the range first moves towards the
 *   batch's min/max by an exponential moving average (`momentum` per step, 0 = frozen). The range
 *   sits among the trainable parameters so plans share and export it, but its gradient is always 0,
 *   so optimizers leave it alone.
 * - `input`: input 0 (the graph input) is quantized in place with these fixed qparams.
 * STE: where the value lies inside the representable range (the clamp to 0..255 / -127..127 is not
 * active) the gradient passes unchanged; outside it is 0.
 */
import type { Node } from '../../graph/types.js';
import type { QParams, QWeights } from '../../quant/types.js';
import { qparamsFromRange, quantizeValue, quantizeWeights } from '../../quant/weights.js';
import type { Layer, LayerContext, LayerFactory } from '../layer.js';

export type WeightQuant = 'uint8' | 'int8-per-channel';

export interface FakeQuantAttrs {
  readonly weight?: WeightQuant;
  readonly output?: { readonly momentum: number };
  readonly input?: QParams;
}

/** Parameter role of the output range of a fake-quantized node. */
export const RANGE_ROLE = 'qrange';

/** The fake-quant annotation of a node, if any. */
export function fakeQuantOf(node: Node): FakeQuantAttrs | undefined {
  return (node.attrs as { fakeQuant?: FakeQuantAttrs }).fakeQuant;
}

/** `node` carrying `fq` (and, for `fq.output`, the parameter key of its range). */
export function withFakeQuant(node: Node, fq: FakeQuantAttrs, rangeKey?: string): Node {
  const params = rangeKey === undefined ? node.params : { ...node.params, [RANGE_ROLE]: rangeKey };
  return { ...node, attrs: { ...node.attrs, fakeQuant: fq }, params } as unknown as Node;
}

/**
 * PROTOCOL.md §6.1 quantize-dequantize in place: `x = s * (clamp(round_half_even(x / s) + z, lo, hi) - z)`.
 * `mask[i]` (if given) becomes 1 where the clamp is not active (`lo - 0.5 <= x / s + z <= hi + 0.5`).
 */
export function fakeQuantize(
  x: Float32Array,
  len: number,
  q: QParams,
  mask: Uint8Array | null,
  lo = 0,
  hi = 255,
): void {
  const { scale, zeroPoint } = q;
  for (let i = 0; i < len; i++) {
    if (mask) {
      const t = x[i]! / scale + zeroPoint;
      mask[i] = t >= lo - 0.5 && t <= hi + 0.5 ? 1 : 0;
    }
    x[i] = scale * (quantizeValue(x[i]!, q, lo, hi) - zeroPoint);
  }
}

/** Dequantized weights, in the same element order as `quantizeWeights` was given them. */
export function dequantizeWeights(w: QWeights, channelOf: (i: number) => number, out: Float32Array): void {
  const perTensor = w.scales.length === 1;
  for (let i = 0; i < out.length; i++) {
    const c = perTensor ? 0 : channelOf(i);
    out[i] = w.scales[c]! * (w.data[i]! - w.zeroPoints[c]!);
  }
}

/**
 * Fake-quantizes IR-layout weights (output channel on the last axis, `channels` of them) as PTQ
 * quantizes them, writing the image to `out` and the STE mask to `mask`.
 */
export function fakeQuantizeWeights(
  w: Float32Array,
  channels: number,
  mode: WeightQuant,
  out: Float32Array,
  mask: Uint8Array,
): void {
  const channelOf = (i: number): number => i % channels;
  const per = mode === 'int8-per-channel';
  const q = quantizeWeights(w, [w.length], channels, channelOf, 0, per);
  dequantizeWeights(q, channelOf, out);
  const [lo, hi] = per ? [-127, 127] : [0, 255];
  for (let i = 0; i < w.length; i++) {
    const c = per ? channelOf(i) : 0;
    const t = w[i]! / q.scales[c]! + q.zeroPoints[c]!;
    mask[i] = t >= lo - 0.5 && t <= hi + 0.5 ? 1 : 0;
  }
}

function applyMask(g: Float32Array, mask: Uint8Array, len: number): void {
  for (let i = 0; i < len; i++) if (mask[i] === 0) g[i] = 0;
}

/** Wraps the layer `make` builds for `ctx.node` with the node's fake quantization. */
export function fakeQuantLayer(ctx: LayerContext, fq: FakeQuantAttrs, make: LayerFactory): Layer {
  const { arena, capacity } = ctx;
  const size = ctx.y.length / capacity;
  let inner = ctx;
  let wq: { buf: ReturnType<typeof arena.alloc>; mask: Uint8Array; channels: number } | null = null;
  if (fq.weight) {
    const w = ctx.p.weight;
    if (!w) throw new Error(`fake-quantized weights on "${ctx.node.name}", which has none`);
    const channels = ctx.outShape[ctx.outShape.length - 1]!; // IR weights: output channel last
    wq = { buf: arena.alloc(w.length), mask: new Uint8Array(w.length), channels };
    inner = { ...ctx, p: { ...ctx.p, weight: wq.buf } };
  }
  const layer = make(inner);
  const range = fq.output ? ctx.p[RANGE_ROLE] : undefined;
  if (fq.output && !range) throw new Error(`fake-quantized output of "${ctx.node.name}" has no range`);
  const outMask = fq.output && ctx.training ? new Uint8Array(ctx.y.length) : null;

  return {
    forward(n, training, step) {
      if (fq.input) fakeQuantize(ctx.x[0]!.f32, n * (ctx.x[0]!.length / capacity), fq.input, null);
      if (wq) fakeQuantizeWeights(ctx.p.weight!.f32, wq.channels, fq.weight!, wq.buf.f32, wq.mask);
      layer.forward(n, training, step);
      if (!range || !fq.output) return;
      const y = ctx.y.f32;
      const len = n * size;
      const r = range.f32;
      const m = fq.output.momentum;
      if (training && m > 0 && len > 0) {
        let mn = Number.POSITIVE_INFINITY;
        let mx = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < len; i++) {
          const v = y[i]!;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        r[0] = (1 - m) * r[0]! + m * mn;
        r[1] = (1 - m) * r[1]! + m * mx;
      }
      fakeQuantize(y, len, qparamsFromRange(r[0]!, r[1]!), training ? outMask : null);
    },
    backward(n) {
      if (outMask) applyMask(ctx.dy!.f32, outMask, n * size);
      layer.backward(n);
      ctx.g[RANGE_ROLE]?.f32.fill(0);
      const gw = ctx.g.weight;
      if (wq && gw) applyMask(gw.f32, wq.mask, gw.length);
    },
  };
}
