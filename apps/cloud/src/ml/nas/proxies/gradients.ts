/**
 * Proxies read from one backward pass of the cross-entropy loss over the proxy batch
 * (RESEARCH.md §4): over the weight tensors of conv / depthwise / dense layers,
 * - SNIP = sum |theta * dL/dtheta|,
 * - grad_norm = sum over layers of ||dL/dW||_2,
 * - Fisher = sum over conv / dense outputs and channels of 0.5 * mean over the batch of
 *   (sum over positions of act * dL/dact)^2.
 * Weights whose key is in `skip` (the input probe) are left out. Fisher (a pass over every conv /
 * dense output) is computed only with `withFisher` (else NaN).
 */
import type { Plan } from '../../engine/plan.js';
import { shapeSize } from '../../graph/types.js';

export interface GradientScores {
  readonly snip: number;
  readonly grad_norm: number;
  readonly fisher: number;
}

const WEIGHTED = new Set(['conv2d', 'conv1d', 'depthwiseConv2d', 'dense']);

export function gradientScores(
  plan: Plan,
  n: number,
  skip: ReadonlySet<string> = new Set(),
  withFisher = true,
): GradientScores {
  const p = plan.params.f32;
  const g = plan.grads.f32;
  let snip = 0;
  let gradNorm = 0;
  for (const s of plan.slots) {
    if (!s.trainable || !s.decay || skip.has(s.key)) continue;
    let sq = 0;
    for (let i = s.offset; i < s.offset + s.length; i++) {
      const gi = g[i]!;
      snip += Math.abs(p[i]! * gi);
      sq += gi * gi;
    }
    gradNorm += Math.sqrt(sq);
  }
  if (!withFisher) return { snip, grad_norm: gradNorm, fisher: Number.NaN };
  let fisher = 0;
  for (const node of plan.graph.nodes) {
    if (!WEIGHTED.has(node.op) || skip.has(node.params.weight ?? '')) continue;
    const grad = plan.grad(node.name);
    if (!grad) continue;
    const shape = plan.shapes.get(node.name)!;
    const c = shape[shape.length - 1]!;
    const size = shapeSize(shape);
    fisher += fisherOf(plan.act(node.name).f32, grad.f32, n, size, c);
  }
  return { snip, grad_norm: gradNorm, fisher };
}

/** Fisher of one value: act and grad are n x size floats, channels last (c per position). */
export function fisherOf(act: Float32Array, grad: Float32Array, n: number, size: number, c: number): number {
  const perChannel = new Float64Array(c);
  let total = 0;
  for (let i = 0; i < n; i++) {
    perChannel.fill(0);
    const end = (i + 1) * size;
    for (let o = i * size; o < end; o += c)
      for (let ch = 0; ch < c; ch++) perChannel[ch]! += act[o + ch]! * grad[o + ch]!;
    for (let ch = 0; ch < c; ch++) total += perChannel[ch]! ** 2;
  }
  return (0.5 * total) / n;
}
