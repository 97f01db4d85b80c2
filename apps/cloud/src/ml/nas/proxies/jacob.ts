/**
 * jacob_cov (RESEARCH.md §4): J = per-sample gradients of the sum of the outputs w.r.t. the input;
 * lambda = eigenvalues of the correlation matrix of J's rows; score = -sum(log(lambda + k) + 1/(lambda + k)),
 * k = 1e-5. Undefined (NaN) when a row is constant (e.g. a model whose output ignores its input).
 */
import { correlationMatrix, symmetricEigenvalues } from './linalg.js';

export const JACOB_K = 1e-5;

export function jacobCovFromJacobians(j: ArrayLike<number>, n: number, d: number): number {
  const corr = correlationMatrix(j, n, d);
  for (const v of corr) if (!Number.isFinite(v)) return Number.NaN;
  const ev = symmetricEigenvalues(corr, n);
  let s = 0;
  for (const raw of ev) {
    const l = Math.max(0, raw) + JACOB_K;
    s += Math.log(l) + 1 / l;
  }
  return -s;
}
