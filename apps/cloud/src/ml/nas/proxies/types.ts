/** Names and inputs of the zero-cost proxies (RESEARCH.md §4 gives their exact definitions). */
import type { Shape } from '../../graph/types.js';

/**
 * The zero-cost proxies of RESEARCH.md §4, and `params` (the trainable parameter count, the data-free
 * baseline of Abdelfattah et al. 2021, which bench:nas finds as predictive as the best proxy here).
 */
export const PROXY_NAMES = [
  'naswot',
  'synflow',
  'snip',
  'grad_norm',
  'fisher',
  'jacob_cov',
  'zen',
  'params',
] as const;
export type ProxyName = (typeof PROXY_NAMES)[number];

export function isProxyName(s: string): s is ProxyName {
  return (PROXY_NAMES as readonly string[]).includes(s);
}

/** Samples in the proxy batch by default (bench:nas --tau compares 16 and 32). */
export const DEFAULT_PROXY_BATCH = 16;

/** A fixed mini-batch of real samples the data-dependent proxies see (the same for every candidate). */
export interface ProxyBatch {
  readonly inputShape: Shape;
  readonly numClasses: number;
  readonly n: number;
  /** n x size(inputShape) floats, NHWC. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
}

/** Higher is better for every proxy. NaN when a proxy is undefined for a model (ranked last). */
export type ProxyScores = Readonly<Partial<Record<ProxyName, number>>>;

/**
 * The ensemble used by the search unless told otherwise: the top-3 single proxies by mean Kendall tau
 * over MNIST and FSDD on `bench:nas --tau` (40 architectures each, proxy batch 16; README of this
 * folder has the table), combined by rank averaging: grad_norm 0.436 / 0.340, snip 0.415 / 0.340,
 * params 0.379 / 0.396 alone; the ensemble 0.460 / 0.382. grad_norm and SNIP share one backward pass,
 * params is free. The previous default (grad_norm, SNIP, Fisher: 0.418 / 0.296) lost to grad_norm
 * alone because Fisher is weaker (0.374 / 0.209). Selection and report use the same 80 architectures
 * (a selection bias; with n = 40 a tau difference below ~0.1 is within noise).
 */
export const DEFAULT_ENSEMBLE: readonly ProxyName[] = ['grad_norm', 'snip', 'params'];

/** The previous default ensemble, kept for the benchmark's comparison. */
export const PREVIOUS_ENSEMBLE: readonly ProxyName[] = ['grad_norm', 'snip', 'fisher'];
