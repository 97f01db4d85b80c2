/**
 * The entry `tinyfleet nas --strategy mobo-ars` calls: same inputs as the zero-shot path (data set,
 * the `Constraints` built by `constraintsFor`, budget, seed, threads, training epochs and
 * limit), one JSON-ready report whose `selected` rows carry the zero-shot path's fields (the Pareto
 * front of the trained candidates, with their test accuracy).
 */
import type { Dataset } from '../../data/types.js';
import type { Constraints } from '../cost/constraints.js';
import { NasError } from '../errors.js';
import type { Genome } from '../space/genome.js';
import { type MoboEvaluation, OBJECTIVES, REFERENCE_POINT, runMoboArs } from './run.js';

export const MOBO_STRATEGY = 'mobo-ars';
/** Default budget of trained evaluations (the zero-shot default of 1000 counts cheap candidates). */
export const MOBO_DEFAULT_BUDGET = 20;

export interface MoboNasOptions {
  readonly data: Dataset;
  /** Limits and the planner profile, as `constraintsFor` builds them for the zero-shot path. */
  readonly constraints: Constraints;
  /** Trained evaluations. */
  readonly budget: number;
  readonly seed: number;
  readonly threads: number;
  /** Epochs of each brief training (>= 1). */
  readonly epochs: number;
  readonly limit?: number;
  /** Learning rate of each brief training (nas/train.ts default if absent). */
  readonly lr?: number;
  /** Test samples scored per candidate (1000). */
  readonly testLimit?: number;
  readonly seconds?: number;
  /** Random-search baseline with the same number of trainings (true; doubles the cost). */
  readonly baseline?: boolean;
  readonly log?: (line: string) => void;
}

export interface MoboRow {
  readonly key: string;
  readonly family: string;
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
  readonly flash_bytes: number;
  readonly ram_bytes: number;
  readonly latency_ms: number;
  readonly test_accuracy: number;
  readonly train_seconds: number;
  readonly source: string;
  readonly genome: Genome;
}

export interface MoboNasReport {
  readonly dataset: string;
  readonly target: string;
  readonly constraints: {
    ram_bytes: number;
    flash_bytes: number;
    latency_ms: number | null;
    max_macs: number;
  };
  readonly strategy: typeof MOBO_STRATEGY;
  readonly objectives: readonly string[];
  readonly reference_point: readonly number[];
  readonly budget: number;
  readonly evaluated: number;
  readonly rejected_infeasible: number;
  /** Trained candidates by origin: initial design, ARS proposal, random fallback. */
  readonly sources: Readonly<Record<string, number>>;
  readonly planned: number;
  readonly iterations: number;
  readonly search_seconds: number;
  /** Of which training (the rest: planner, GP fits, ARS proposals). */
  readonly train_seconds: number;
  readonly front_size: number;
  readonly hypervolume: number;
  readonly baseline: {
    readonly strategy: 'random';
    readonly evaluated: number;
    readonly rejected_infeasible: number;
    readonly front_size: number;
    readonly hypervolume: number;
    readonly seconds: number;
  } | null;
  /** The Pareto front of the trained candidates, by decreasing accuracy. */
  readonly selected: MoboRow[];
  readonly seconds: number;
}

function row(e: MoboEvaluation): MoboRow {
  const c = e.candidate;
  return {
    key: c.key,
    family: c.genome.family,
    params: c.params,
    macs: c.macs,
    flops: c.flops,
    flash_bytes: c.flashBytes,
    ram_bytes: c.ramBytes,
    latency_ms: c.latencyMs,
    test_accuracy: e.accuracy,
    train_seconds: e.trainSeconds,
    source: e.source,
    genome: c.genome,
  };
}

export async function moboNas(o: MoboNasOptions): Promise<MoboNasReport> {
  const t0 = performance.now();
  if (o.epochs < 1)
    throw new NasError('BAD_OPTIONS', `--strategy ${MOBO_STRATEGY} trains every candidate: epochs >= 1`);
  const log = o.log ?? (() => {});
  const c = o.constraints;
  const baseline = o.baseline ?? true;
  const r = await runMoboArs({
    data: o.data,
    constraints: o.constraints,
    budget: o.budget,
    seed: o.seed,
    ...(o.seconds !== undefined ? { seconds: o.seconds } : {}),
    training: {
      epochs: o.epochs,
      threads: o.threads,
      testLimit: o.testLimit ?? 1000,
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.lr !== undefined ? { lr: o.lr } : {}),
    },
    baseline,
    // "done/total" first: the job runner reads the first fraction of a line as the job's progress
    progress: (p) =>
      log(
        `nas: ${p.phase === 'mobo' ? p.evaluated : p.budget + p.evaluated}/${baseline ? 2 * p.budget : p.budget} trainings: ${p.phase === 'mobo' ? 'mobo-ars' : 'random baseline'} iteration ${p.iteration}, best accuracy ${(p.bestAccuracy * 100).toFixed(2)}%, front ${p.frontSize}, hypervolume ${p.hypervolume.toFixed(4)}`,
      ),
  });
  const b = r.baseline;
  return {
    dataset: o.data.name,
    target: c.profile.name,
    constraints: {
      ram_bytes: c.ramBytes,
      flash_bytes: c.flashBytes,
      latency_ms: c.latencyMs ?? null,
      max_macs: c.maxMacs,
    },
    strategy: MOBO_STRATEGY,
    objectives: OBJECTIVES,
    reference_point: REFERENCE_POINT,
    budget: o.budget,
    evaluated: r.evaluated.length,
    rejected_infeasible: r.rejected,
    sources: Object.fromEntries(
      (['initial', 'ars', 'fallback'] as const).map((k) => [
        k,
        r.evaluated.filter((e) => e.source === k).length,
      ]),
    ),
    planned: r.planned,
    iterations: r.iterations,
    search_seconds: r.seconds,
    train_seconds: r.evaluated.reduce((t, e) => t + e.trainSeconds, 0),
    front_size: r.front.length,
    hypervolume: r.hypervolume,
    baseline: b && {
      strategy: 'random',
      evaluated: b.evaluated.length,
      rejected_infeasible: b.rejected,
      front_size: b.front.length,
      hypervolume: b.hypervolume,
      seconds: b.seconds,
    },
    selected: [...r.front].sort((x, y) => y.accuracy - x.accuracy).map(row),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** A front row after the final step (nas/final.ts) trained, pruned and quantized it. */
type FinalRow = MoboRow & { readonly quant_accuracy?: number; readonly fits?: boolean };

/** Human-readable lines of a report (the CLI without --json). */
export function formatMoboNas(
  r: Omit<MoboNasReport, 'selected'> & { readonly selected: readonly FinalRow[] },
): string {
  const rows = r.selected.map(
    (s) =>
      `${s.key}  acc ${(s.test_accuracy * 100).toFixed(2)}%${s.quant_accuracy !== undefined ? ` (final: int8 ${(s.quant_accuracy * 100).toFixed(2)}%, ${s.fits ? 'fits' : 'does not fit'})` : ''}  params ${s.params}  MACs ${s.macs}  flash ${s.flash_bytes} B  RAM ${s.ram_bytes} B  ${s.latency_ms} ms\n`,
  );
  const base = r.baseline
    ? `, random baseline ${r.baseline.hypervolume.toFixed(4)} (front ${r.baseline.front_size})`
    : '';
  return `${rows.join('')}hypervolume ${r.hypervolume.toFixed(4)} (front ${r.front_size} of ${r.evaluated} trained)${base}\n`;
}
