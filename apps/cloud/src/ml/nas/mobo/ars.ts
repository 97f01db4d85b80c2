/**
 * Augmented Random Search (Mania, Guy & Recht 2018) for the local policies of MOBOpt (RESEARCH.md §5).
 *
 * Per iteration: draw N Gaussian directions d_k, measure the reward at theta +/- nu d_k, keep the b
 * directions with the largest max(r+, r-), and step theta += alpha / (b sigma_R) sum (r+ - r-) d_k with
 * sigma_R the standard deviation of those 2b rewards (V1-t). V2-t additionally feeds the policy states
 * whitened by running statistics of every state visited (`StateNormaliser`).
 *
 * A policy maps a state (a point of the genome encoding) to a bounded perturbation of it; `rollout`
 * applies it for a horizon and averages the reward of the visited states.
 */
import type { Rng } from '../../tensor/rng.js';

export interface Policy {
  /** Number of parameters. */
  readonly size: number;
  act(theta: Float64Array, state: readonly number[]): number[];
}

/** a = maxStep * tanh(W [s; 1]), W: actionDim x (stateDim + 1). */
export function linearPolicy(stateDim: number, actionDim: number, maxStep: number): Policy {
  const cols = stateDim + 1;
  return {
    size: actionDim * cols,
    act(theta, s) {
      const a = new Array<number>(actionDim);
      for (let i = 0; i < actionDim; i++) {
        let v = theta[i * cols + stateDim]!;
        for (let j = 0; j < stateDim; j++) v += theta[i * cols + j]! * s[j]!;
        a[i] = maxStep * Math.tanh(v);
      }
      return a;
    },
  };
}

/** a = maxStep * tanh(W2 [tanh(W1 [s; 1]); 1]): one hidden layer of `hidden` units. */
export function mlpPolicy(stateDim: number, actionDim: number, hidden: number, maxStep: number): Policy {
  const first = linearPolicy(stateDim, hidden, 1);
  const second = linearPolicy(hidden, actionDim, maxStep);
  return {
    size: first.size + second.size,
    act(theta, s) {
      const h = first.act(theta.subarray(0, first.size), s);
      return second.act(theta.subarray(first.size), h);
    },
  };
}

/** Running mean and variance of visited states (Welford), for ARS V2. */
export class StateNormaliser {
  private n = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.m2 = new Float64Array(dim);
  }

  observe(s: readonly number[]): void {
    this.n++;
    for (let i = 0; i < this.dim; i++) {
      const d = s[i]! - this.mean[i]!;
      this.mean[i]! += d / this.n;
      this.m2[i]! += d * (s[i]! - this.mean[i]!);
    }
  }

  normalise(s: readonly number[]): number[] {
    return s.map((v, i) => {
      const sd = this.n > 1 ? Math.sqrt(this.m2[i]! / (this.n - 1)) : 0;
      return sd > 1e-8 ? (v - this.mean[i]!) / sd : v - this.mean[i]!;
    });
  }
}

export interface RolloutSpec {
  readonly policy: Policy;
  readonly start: readonly number[];
  readonly horizon: number;
  /** Next state from a state and an action (e.g. clip(s + a) to the box). */
  readonly step: (state: readonly number[], action: readonly number[]) => number[];
  readonly reward: (state: readonly number[]) => number;
  /** V2: whiten the states the policy sees (and learn their statistics). */
  readonly normaliser?: StateNormaliser;
}

/** Mean reward of the states visited by following the policy `horizon` steps from `start`. */
export function rollout(spec: RolloutSpec, theta: Float64Array): number {
  let s: readonly number[] = spec.start;
  let total = 0;
  for (let t = 0; t < spec.horizon; t++) {
    spec.normaliser?.observe(s);
    const seen = spec.normaliser ? spec.normaliser.normalise(s) : s;
    s = spec.step(s, spec.policy.act(theta, seen));
    total += spec.reward(s);
  }
  return total / spec.horizon;
}

export interface ArsOptions {
  readonly iterations: number;
  /** N: random directions per iteration. */
  readonly directions: number;
  /** b: directions kept (b <= N). */
  readonly top: number;
  /** alpha. */
  readonly stepSize: number;
  /** nu: exploration noise. */
  readonly noise: number;
}

export const DEFAULT_ARS: ArsOptions = { iterations: 8, directions: 6, top: 3, stepSize: 0.5, noise: 0.3 };

/** Maximise `reward(theta)` by ARS from `theta0` (not modified); returns the final parameters. */
export function ars(
  theta0: Float64Array,
  reward: (theta: Float64Array) => number,
  o: ArsOptions,
  rng: Rng,
): Float64Array {
  const p = theta0.length;
  const theta = theta0.slice();
  const top = Math.max(1, Math.min(o.top, o.directions));
  const probe = new Float64Array(p);
  for (let it = 0; it < o.iterations; it++) {
    const trials: { d: Float64Array; plus: number; minus: number }[] = [];
    for (let k = 0; k < o.directions; k++) {
      const d = Float64Array.from({ length: p }, () => rng.normal());
      for (let i = 0; i < p; i++) probe[i] = theta[i]! + o.noise * d[i]!;
      const plus = reward(probe);
      for (let i = 0; i < p; i++) probe[i] = theta[i]! - o.noise * d[i]!;
      trials.push({ d, plus, minus: reward(probe) });
    }
    trials.sort((a, b) => Math.max(b.plus, b.minus) - Math.max(a.plus, a.minus));
    const kept = trials.slice(0, top);
    const rs = kept.flatMap((t) => [t.plus, t.minus]);
    const mean = rs.reduce((a, b) => a + b, 0) / rs.length;
    const sd = Math.sqrt(rs.reduce((a, b) => a + (b - mean) ** 2, 0) / rs.length);
    if (!(sd > 1e-12)) continue;
    const scale = o.stepSize / (top * sd);
    for (const t of kept) {
      const g = (t.plus - t.minus) * scale;
      for (let i = 0; i < p; i++) theta[i]! += g * t.d[i]!;
    }
  }
  return theta;
}
