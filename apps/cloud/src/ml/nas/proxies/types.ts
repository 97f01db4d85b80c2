/** Names and inputs of the zero-cost proxies (RESEARCH.md §4 gives their exact definitions). */
import type { Shape } from '../../graph/types.js';

export const PROXY_NAMES = ['naswot', 'synflow', 'snip', 'grad_norm', 'fisher', 'jacob_cov', 'zen'] as const;
export type ProxyName = (typeof PROXY_NAMES)[number];

export function isProxyName(s: string): s is ProxyName {
  return (PROXY_NAMES as readonly string[]).includes(s);
}

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
 * The ensemble used by the search unless told otherwise: the three proxies with the highest Kendall
 * tau on bench:nas (MNIST and FSDD, 40 architectures each); all three come from one backward pass.
 * Chosen on the same benchmark that reports it (selection bias), and it does not beat grad_norm alone.
 */
export const DEFAULT_ENSEMBLE: readonly ProxyName[] = ['grad_norm', 'snip', 'fisher'];
