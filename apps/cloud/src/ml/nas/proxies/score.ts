/**
 * Scores one model with a chosen set of proxies. One training plan (batch = the proxy batch) serves
 * NASWOT (forward), SNIP / grad_norm / Fisher (cross-entropy backward), jacob_cov (a second backward
 * of the summed outputs, read at an identity probe after the input) and Zen (two more forwards with
 * Gaussian weights, last); SynFlow compiles its own batch-1 plan without BN; `params` needs no pass.
 * Fisher reads activations x gradients of every conv / dense output, so it costs extra only when asked.
 */
import { Plan } from '../../engine/plan.js';
import { type Graph, shapeSize } from '../../graph/types.js';
import { softmaxCrossEntropy } from '../../train/loss.js';
import { countParams } from '../cost/estimate.js';
import { NasError } from '../errors.js';
import { gradientScores } from './gradients.js';
import { jacobCovFromJacobians } from './jacob.js';
import { naswot } from './naswot.js';
import { PROBE, withBatchNormMomentum, withInputProbe } from './rewrite.js';
import { synflow } from './synflow.js';
import type { ProxyBatch, ProxyName, ProxyScores } from './types.js';
import { zen } from './zen.js';

export interface ScoreOptions {
  /** Seed of Zen's Gaussian draws (0). */
  readonly seed?: number;
}

export function scoreGraph(
  graph: Graph,
  batch: ProxyBatch,
  names: readonly ProxyName[],
  o: ScoreOptions = {},
): ProxyScores {
  const want = new Set(names);
  const out: Partial<Record<ProxyName, number>> = {};
  const size = shapeSize(batch.inputShape);
  const gin = graph.inputs[0]!.shape;
  if (gin.length !== batch.inputShape.length || gin.some((d, i) => d !== batch.inputShape[i]))
    throw new NasError(
      'INPUT_MISMATCH',
      `model input [${gin.join(', ')}] != batch [${batch.inputShape.join(', ')}]`,
    );
  if (want.has('params')) out.params = countParams(graph);
  if (want.has('synflow')) out.synflow = synflow(graph);
  const gradNames = ['snip', 'grad_norm', 'fisher'] as const;
  const needGrad = gradNames.some((nm) => want.has(nm));
  const needMain = needGrad || want.has('naswot') || want.has('jacob_cov') || want.has('zen');
  if (!needMain) return out;

  const n = batch.n;
  const probe = want.has('jacob_cov');
  const main = withBatchNormMomentum(probe ? withInputProbe(graph) : graph, 1);
  const plan = new Plan(main, { batch: n, training: true });
  plan.act(plan.inputName).f32.set(batch.x.subarray(0, n * size));
  plan.forward(n, true);
  if (want.has('naswot')) out.naswot = naswot(plan, n);
  const k = shapeSize(plan.shapes.get(plan.logits)!);
  const dlogits = plan.grad(plan.logits)!.f32;
  if (needGrad) {
    softmaxCrossEntropy(plan.act(plan.logits).f32, batch.labels, n, k, dlogits);
    plan.backward(n);
    const g = gradientScores(plan, n, new Set([`${PROBE}.weight`]), want.has('fisher'));
    for (const nm of gradNames) if (want.has(nm)) out[nm] = g[nm];
  }
  if (probe) {
    dlogits.fill(1, 0, n * k);
    plan.backward(n);
    out.jacob_cov = jacobCovFromJacobians(plan.grad(PROBE)!.f32, n, size);
  }
  if (want.has('zen')) out.zen = zen(plan, n, o.seed ?? 0);
  return out;
}
