/**
 * Gaussian-process regression for the MOBO surrogate (RESEARCH.md §5): constant mean (the data mean),
 * isotropic Matérn 5/2 or RBF kernel over inputs in [0, 1]^D, homoscedastic noise.
 *
 * Hyperparameters by ML-II over a small grid: targets are standardised, the kernel is written
 * K = s2 * (C_l + g I) with C_l the unit-variance correlation of lengthscale l and g the noise ratio;
 * the signal variance s2 then has the closed-form maximiser y^T (C_l + g I)^-1 y / n, so only (l, g) are
 * searched. Cholesky with growing jitter when a matrix is numerically singular (duplicate inputs).
 */

export type KernelName = 'matern52' | 'rbf';

export interface GpHyper {
  /** Lengthscale in input units. */
  readonly lengthscale: number;
  /** Noise variance / signal variance. */
  readonly noiseRatio: number;
}

export interface GpOptions {
  readonly kernel?: KernelName;
  /** Lengthscale grid as multiples of sqrt(D) (default 0.05 .. 2). */
  readonly lengthscales?: readonly number[];
  readonly noiseRatios?: readonly number[];
  /** Fixed hyperparameters (skips ML-II). */
  readonly hyper?: GpHyper;
}

export interface GpModel {
  readonly hyper: GpHyper;
  readonly kernel: KernelName;
  /** Log marginal likelihood of the standardised targets at `hyper`. */
  readonly logLikelihood: number;
  /** Posterior mean and variance of the latent function (noise excluded) at `x`. */
  predict(x: readonly number[]): { mean: number; variance: number };
}

const LENGTHSCALES = [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2];
const NOISE_RATIOS = [1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.2];

/** Unit-variance correlation at distance r. */
export function correlation(kernel: KernelName, r: number, lengthscale: number): number {
  const d = r / lengthscale;
  if (kernel === 'rbf') return Math.exp(-0.5 * d * d);
  const s = Math.sqrt(5) * d;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

export function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

const distance = (a: readonly number[], b: readonly number[]): number => Math.sqrt(squaredDistance(a, b));

/**
 * Lower Cholesky factor of the n x n row-major SPD matrix `a` (not modified), adding jitter
 * 1e-10, 1e-9, ... (relative to the mean diagonal) until it factors; null if even 1e-2 fails.
 */
export function cholesky(a: Float64Array, n: number): { l: Float64Array; jitter: number } | null {
  let diag = 0;
  for (let i = 0; i < n; i++) diag += a[i * n + i]!;
  diag = diag / Math.max(1, n) || 1;
  for (let jitter = 0; jitter <= 1e-2 * diag; jitter = jitter === 0 ? 1e-10 * diag : jitter * 10) {
    const l = new Float64Array(n * n);
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      let d = a[j * n + j]! + jitter;
      for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
      if (!(d > 0)) ok = false;
      else {
        const ljj = Math.sqrt(d);
        l[j * n + j] = ljj;
        for (let i = j + 1; i < n; i++) {
          let s = a[i * n + j]!;
          for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
          l[i * n + j] = s / ljj;
        }
      }
    }
    if (ok) return { l, jitter };
  }
  return null;
}

/** Solve L z = b (forward substitution). */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  return z;
}

/** Solve L^T z = b (back substitution). */
export function solveUpper(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  return z;
}

interface Factored {
  readonly l: Float64Array;
  /** (C + gI)^-1 y. */
  readonly alpha: Float64Array;
  readonly signal: number;
  readonly logLikelihood: number;
}

function factor(
  x: readonly (readonly number[])[],
  y: Float64Array,
  kernel: KernelName,
  h: GpHyper,
): Factored | null {
  const n = x.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = correlation(kernel, distance(x[i]!, x[j]!), h.lengthscale) + (i === j ? h.noiseRatio : 0);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  const ch = cholesky(a, n);
  if (!ch) return null;
  const alpha = solveUpper(ch.l, n, solveLower(ch.l, n, y));
  let quad = 0;
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    quad += y[i]! * alpha[i]!;
    logDet += 2 * Math.log(ch.l[i * n + i]!);
  }
  const signal = Math.max(quad / n, 1e-12);
  const logLikelihood = -0.5 * n * (1 + Math.log(signal) + Math.log(2 * Math.PI)) - 0.5 * logDet;
  return { l: ch.l, alpha, signal, logLikelihood };
}

/** Fit a GP to `x` (n points in [0, 1]^D) and targets `y`; hyperparameters by ML-II on a grid. */
export function fitGp(x: readonly (readonly number[])[], y: readonly number[], o: GpOptions = {}): GpModel {
  const n = x.length;
  if (n === 0 || n !== y.length)
    throw new RangeError(`fitGp needs matching non-empty x and y (${n}, ${y.length})`);
  const kernel = o.kernel ?? 'matern52';
  const mean = y.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / n) || 1;
  const ys = Float64Array.from(y, (v) => (v - mean) / sd);
  const scale = Math.sqrt(x[0]!.length || 1);
  const grid: GpHyper[] = o.hyper
    ? [o.hyper]
    : (o.lengthscales ?? LENGTHSCALES).flatMap((l) =>
        (o.noiseRatios ?? NOISE_RATIOS).map((g) => ({ lengthscale: l * scale, noiseRatio: g })),
      );
  let best: { h: GpHyper; f: Factored } | null = null;
  for (const h of grid) {
    const f = factor(x, ys, kernel, h);
    if (f && (!best || f.logLikelihood > best.f.logLikelihood)) best = { h, f };
  }
  if (!best) throw new RangeError('fitGp: no hyperparameters give a positive-definite kernel matrix');
  const { h, f } = best;
  return {
    hyper: h,
    kernel,
    logLikelihood: f.logLikelihood,
    predict(p) {
      const k = new Float64Array(n);
      for (let i = 0; i < n; i++) k[i] = correlation(kernel, distance(p, x[i]!), h.lengthscale);
      let m = 0;
      for (let i = 0; i < n; i++) m += k[i]! * f.alpha[i]!;
      const v = solveLower(f.l, n, k);
      let vv = 0;
      for (let i = 0; i < n; i++) vv += v[i]! * v[i]!;
      const variance = Math.max(0, f.signal * (1 - vv)) * sd * sd;
      return { mean: mean + sd * m, variance };
    },
  };
}
