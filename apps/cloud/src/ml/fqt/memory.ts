/**
 * A simple training-RAM estimate and the backward MAC count of a trained chain (not the arena
 * planner): trainable weights (+ float32 gradients for float training, or the FQT update buffer),
 * kept activations and error tensors, in uint8 (FQT) or float32.
 */
import { size } from '../quant/types.js';
import { logitsProducer } from './activation.js';
import type { TrainedChain } from './model.js';

export interface RamEstimate {
  readonly weights: number;
  readonly gradients: number;
  readonly activations: number;
  readonly errors: number;
  readonly scratch: number;
  readonly total: number;
}

/**
 * `mode` float32: weights, biases, a full gradient buffer, activations and errors in 4 bytes.
 * uint8 (FQT): uint8 weights + int32 bias, a binary32 update buffer for the largest layer's
 * floor(lambdaMax * N) structures (§6.6.6), the es binary32 means of a trained logits producer
 * (§6.6.6 step 2a), uint8 activations and errors, the int32 accumulator of the largest propagated
 * error, and the per-structure magnitudes.
 */
export function trainRamEstimate(
  chain: TrainedChain,
  trained: readonly number[],
  mode: 'float32' | 'uint8',
  lambdaMax = 1,
): RamEstimate {
  const b = mode === 'float32' ? 4 : 1;
  let weights = 0;
  let gradients = 0;
  let activations = 0;
  let errors = 0;
  let scratch = 0;
  let update = 0;
  for (const op of chain.ops) {
    const inSize = size(op.x.shape);
    if (op.node.op !== 'reshape') {
      activations += inSize * b;
      errors += size(op.y.shape) * b;
    }
    const w = op.weighted;
    if (w && trained.includes(op.index)) {
      const n = w.structures * w.elements;
      weights += n * b + w.structures * 4;
      if (mode === 'float32') gradients += (n + w.structures) * 4;
      else {
        const k = Math.max(1, Math.floor(lambdaMax * w.structures));
        update = Math.max(update, k * w.elements * 4 + k * 4);
        gradients += w.structures * 4;
      }
    }
    if (
      mode === 'uint8' &&
      op !== chain.ops[0] &&
      (w || op.node.op === 'avgPool' || op.node.op === 'globalAvgPool')
    )
      scratch = Math.max(scratch, inSize * 4);
  }
  const producer = logitsProducer(chain)?.op;
  if (mode === 'uint8' && producer?.weighted && trained.includes(producer.index))
    gradients += producer.weighted.elements * 4;
  gradients += update;
  activations += size(chain.logits.shape) * b;
  const total = weights + gradients + activations + errors + scratch;
  return { weights, gradients, activations, errors, scratch, total };
}

/** Backward MACs per sample when every structure is updated (weight gradients + error propagation). */
export function fullBackwardMacs(
  chain: TrainedChain,
  trained: readonly number[],
): { wgrad: number; eprop: number } {
  let wgrad = 0;
  let eprop = 0;
  chain.ops.forEach((op, i) => {
    const w = op.weighted;
    if (!w) return;
    const g = w.geom;
    let per: number;
    if (!g) per = w.inputs * w.structures;
    else {
      per = 0;
      const [kh, kw] = g.kernel;
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++)
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * g.strides[0] - g.pad.top + ky * g.dilation[0];
            if (iy < 0 || iy >= g.inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * g.strides[1] - g.pad.left + kx * g.dilation[1];
              if (ix >= 0 && ix < g.inW) per += w.kind === 'depthwise' ? g.inC : g.inC * g.outC;
            }
          }
    }
    if (trained.includes(op.index)) wgrad += per;
    if (i > 0) eprop += per;
  });
  return { wgrad, eprop };
}
