/**
 * Acquisition of the MOBO loop: augmented Chebyshev (Tchebycheff) scalarisation of the minimised,
 * normalised objectives with a random weight vector per iteration, and its expected improvement.
 *
 * Only objective 0 (1 - accuracy) is uncertain; ROM, RAM and FLOPs come exactly from the planner. The
 * scalarised value is then a piecewise-linear increasing function of one Gaussian variable, so its
 * expected improvement has a closed form (a sum of truncated-Gaussian partial expectations) instead of
 * the Monte Carlo estimate of the paper.
 */
import type { Rng } from '../../tensor/rng.js';

const SQRT2 = Math.SQRT2;

export function normPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

const ERFC = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/** Complementary error function (Numerical Recipes erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  let poly = 0;
  for (let i = ERFC.length - 1; i >= 0; i--) poly = ERFC[i]! + t * poly;
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

export function normCdf(z: number): number {
  if (z === Number.POSITIVE_INFINITY) return 1;
  if (z === Number.NEGATIVE_INFINITY) return 0;
  return 0.5 * erfc(-z / SQRT2);
}

/**
 * E[max(0, target - (alpha + beta X)) ; lo < X < hi] for X ~ N(mu, sigma^2) and beta >= 0: the expected
 * improvement contributed by one linear piece of a scalarisation. sigma 0 is the deterministic limit.
 */
export function partialImprovement(
  mu: number,
  sigma: number,
  alpha: number,
  beta: number,
  target: number,
  lo = Number.NEGATIVE_INFINITY,
  hi = Number.POSITIVE_INFINITY,
): number {
  const gain = (x: number): number => Math.max(0, target - alpha - beta * x);
  if (!(sigma > 0)) return mu > lo && mu < hi ? gain(mu) : 0;
  // the gain is positive for X < x0 only
  const upper = beta > 0 ? Math.min(hi, (target - alpha) / beta) : target > alpha ? hi : lo;
  if (!(upper > lo)) return 0;
  const zl = (lo - mu) / sigma;
  const zu = (upper - mu) / sigma;
  const mass = normCdf(zu) - normCdf(zl);
  const pl = Number.isFinite(zl) ? normPdf(zl) : 0;
  const pu = Number.isFinite(zu) ? normPdf(zu) : 0;
  const firstMoment = mu * mass - sigma * (pu - pl); // E[X ; lo < X < upper]
  return Math.max(0, (target - alpha) * mass - beta * firstMoment);
}

/** Closed-form expected improvement of a minimised Gaussian N(mu, sigma^2) below `best`. */
export function expectedImprovement(mu: number, sigma: number, best: number): number {
  return partialImprovement(mu, sigma, 0, 1, best);
}

/** Augmented Chebyshev scalarisation max_i w_i f_i + rho * sum_i w_i f_i (ideal point 0). */
export function chebyshev(f: readonly number[], w: readonly number[], rho: number): number {
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < f.length; i++) {
    const v = w[i]! * f[i]!;
    if (v > max) max = v;
    sum += v;
  }
  return max + rho * sum;
}

/**
 * Expected improvement of the Chebyshev scalarisation below `best` when f[0] ~ N(mu, sigma^2) and
 * the other objectives `rest` are exact: s(f0) = max(w0 f0, c) + rho w0 f0 + d with c = max_i>0 w_i f_i,
 * d = rho * sum_i>0 w_i f_i; two linear pieces split at f0 = c / w0.
 */
export function chebyshevEi(
  mu: number,
  sigma: number,
  rest: readonly number[],
  w: readonly number[],
  rho: number,
  best: number,
): number {
  const w0 = w[0]!;
  let c = Number.NEGATIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < rest.length; i++) {
    const v = w[i + 1]! * rest[i]!;
    c = Math.max(c, v);
    d += rho * v;
  }
  if (w0 <= 0) return Math.max(0, best - Math.max(c, 0) - d);
  const split = c / w0;
  return (
    partialImprovement(mu, sigma, c + d, rho * w0, best, Number.NEGATIVE_INFINITY, split) +
    partialImprovement(mu, sigma, d, (1 + rho) * w0, best, split, Number.POSITIVE_INFINITY)
  );
}

/** A weight vector drawn uniformly from the simplex (flat Dirichlet). */
export function randomWeights(rng: Rng, m: number): number[] {
  const e = Array.from({ length: m }, () => -Math.log(1 - rng.next()));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
