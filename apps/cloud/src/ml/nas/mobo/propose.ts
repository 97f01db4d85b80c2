/**
 * One MOBOpt proposal (RESEARCH.md §5): L local policies, each started at a k-means centre of the
 * current Pareto front (in encoding space), trained by ARS on the surrogate, where the reward of a
 * state is the Chebyshev expected improvement of the genome it decodes to (minus the relative
 * constraint excess for an infeasible genome, so policies learn to leave the infeasible region).
 * Each trained policy is rolled out once more; the feasible, untrained genome of highest acquisition on
 * those final trajectories is proposed (falling back to the best one visited while training).
 */
import type { Rng } from '../../tensor/rng.js';
import { chebyshevEi } from './acquisition.js';
import {
  type ArsOptions,
  ars,
  linearPolicy,
  mlpPolicy,
  type Policy,
  rollout,
  StateNormaliser,
} from './ars.js';
import type { Encoding } from './encoding.js';
import type { PlannedCandidate, PlannedSpace } from './evaluate.js';
import type { GpModel } from './gp.js';

export type PolicyKind = 'linear' | 'mlp';

export interface ProposalContext {
  readonly encoding: Encoding;
  readonly space: PlannedSpace;
  /** Surrogate of objective 0 (1 - accuracy). */
  readonly gp: GpModel;
  readonly weights: readonly number[];
  readonly rho: number;
  /** Best (lowest) scalarised value among the trained candidates. */
  readonly best: number;
  readonly trained: ReadonlySet<string>;
  /** Policy start points in [0, 1]^D. */
  readonly starts: readonly (readonly number[])[];
  readonly policy: PolicyKind;
  /** ARS V2 (state normalisation) rather than V1. */
  readonly normaliseStates: boolean;
  readonly ars: ArsOptions;
  readonly horizon: number;
  /** Largest move per coordinate and step. */
  readonly maxStep: number;
}

export interface Proposal {
  readonly candidate: PlannedCandidate;
  readonly acquisition: number;
  /** Index of the policy whose final rollout found it (-1: found while training). */
  readonly policy: number;
}

/** Acquisition of genomes, memoised per proposal (the GP and weights are fixed within one). */
export class Acquisition {
  private readonly memo = new Map<string, { value: number; candidate: PlannedCandidate; open: boolean }>();

  constructor(private readonly ctx: ProposalContext) {}

  /** The reward of a point and whether its genome may be proposed (feasible and untrained). */
  at(x: readonly number[]): { value: number; candidate: PlannedCandidate; open: boolean } {
    const { ctx } = this;
    const genome = ctx.encoding.decode(x);
    const c = ctx.space.plan(genome);
    const hit = this.memo.get(c.key);
    if (hit) return hit;
    let r: { value: number; candidate: PlannedCandidate; open: boolean };
    if (c.violation > 0) r = { value: -c.violation, candidate: c, open: false };
    else if (ctx.trained.has(c.key)) r = { value: 0, candidate: c, open: false };
    else {
      const p = ctx.gp.predict(ctx.encoding.encode(genome));
      const ei = chebyshevEi(p.mean, Math.sqrt(p.variance), c.cheap, ctx.weights, ctx.rho, ctx.best);
      r = { value: ei, candidate: c, open: true };
    }
    this.memo.set(c.key, r);
    return r;
  }
}

function makePolicy(ctx: ProposalContext): Policy {
  const d = ctx.encoding.dims;
  return ctx.policy === 'mlp' ? mlpPolicy(d, d, 8, ctx.maxStep) : linearPolicy(d, d, ctx.maxStep);
}

const clip01 = (s: readonly number[], a: readonly number[]): number[] =>
  s.map((v, i) => Math.min(1, Math.max(0, v + a[i]!)));

export function propose(ctx: ProposalContext, rng: Rng): Proposal | null {
  const acq = new Acquisition(ctx);
  const policy = makePolicy(ctx);
  let trainingBest: Proposal | null = null;
  let finalBest: Proposal | null = null;
  let phase: 'train' | 'final' = 'train';
  let current = -1;
  const reward = (x: readonly number[]): number => {
    const r = acq.at(x);
    if (r.open) {
      const prev = phase === 'final' ? finalBest : trainingBest;
      if (!prev || r.value > prev.acquisition) {
        const p = { candidate: r.candidate, acquisition: r.value, policy: phase === 'final' ? current : -1 };
        if (phase === 'final') finalBest = p;
        else trainingBest = p;
      }
    }
    return r.value;
  };
  const thetas = ctx.starts.map((start) => {
    const spec = {
      policy,
      start,
      horizon: ctx.horizon,
      step: clip01,
      reward,
      ...(ctx.normaliseStates ? { normaliser: new StateNormaliser(ctx.encoding.dims) } : {}),
    };
    return { spec, theta: ars(new Float64Array(policy.size), (t) => rollout(spec, t), ctx.ars, rng) };
  });
  phase = 'final';
  thetas.forEach(({ spec, theta }, i) => {
    current = i;
    rollout(spec, theta);
  });
  return finalBest ?? trainingBest;
}
