/**
 * The compression pipeline (RESEARCH.md §2): prune to a sparsity target in one shot or along the AGP
 * schedule, fine-tuning after every pruning step.
 *
 * `sparsity` is the fraction of the model's parameters removed: structured pruning removes channels
 * physically until at most (1 − s_t)·P₀ parameters remain; element-wise pruning zeroes weights until
 * s_t·P₀ are zero (same shapes; reported as sparsity).
 */
import type { DataSplit } from '../data/types.js';
import type { Graph } from '../graph/types.js';
import { mixSeed } from '../tensor/rng.js';
import { evaluateGraph } from '../train/trainer.js';
import { countNonzero, countParams } from './count.js';
import { CRITERIA, type Criterion, scoreChannels } from './criteria.js';
import { applyMasks, magnitudeMasks } from './elementwise.js';
import { PruneError } from './errors.js';
import { type FinetuneConfig, finetune } from './finetune.js';
import { analyzeGroups, prunableGroups } from './groups.js';
import { sparsitySchedule } from './schedule.js';
import { chooseChannels, type Scope } from './structured.js';
import { removeChannels } from './surgery.js';

export const PRUNE_METHODS = [
  'structured-l1',
  'structured-l2',
  'structured-grad',
  'structured-apoz',
  'structured-random',
  'elementwise-l1',
] as const;
export type PruneMethod = (typeof PRUNE_METHODS)[number];
export type ScheduleKind = 'one-shot' | 'agp';

export interface CompressConfig {
  readonly method: PruneMethod;
  readonly schedule: ScheduleKind;
  /** Final fraction of parameters removed (structured) or zeroed (element-wise), in [0, 1). */
  readonly sparsity: number;
  /** AGP pruning steps (ignored for one-shot). */
  readonly steps: number;
  readonly scope: Scope;
  /** Fine-tuning after each pruning step (`epochs` per step). */
  readonly finetune: FinetuneConfig;
  /** Samples for the gradient and APoZ criteria (512). */
  readonly scoreSamples?: number;
  readonly seed: number;
}

export interface CompressData {
  readonly train: DataSplit;
  readonly numClasses: number;
  /** Evaluated after every step when given (e.g. a validation subset). */
  readonly eval?: DataSplit;
}

export interface StepReport {
  readonly step: number;
  /** The sparsity target of this step. */
  readonly sparsity: number;
  readonly params: number;
  readonly nonzero: number;
  /** params / params before compression. */
  readonly paramFraction: number;
  /** non-zero params / params before compression. */
  readonly nonzeroFraction: number;
  readonly accuracy?: number;
}

export interface CompressResult {
  readonly graph: Graph;
  /** True for structured pruning (smaller tensors), false for element-wise (zeros, same shapes). */
  readonly physical: boolean;
  readonly paramsBefore: number;
  readonly steps: readonly StepReport[];
}

export function criterionOf(method: PruneMethod): Criterion | 'magnitude' {
  if (method === 'elementwise-l1') return 'magnitude';
  const c = method.slice('structured-'.length);
  if (!(CRITERIA as readonly string[]).includes(c))
    throw new PruneError('BAD_CONFIG', `unknown method ${method}`);
  return c as Criterion;
}

function pruneStructured(
  graph: Graph,
  criterion: Criterion,
  target: number,
  data: CompressData,
  cfg: CompressConfig,
  step: number,
): Graph {
  const a = analyzeGroups(graph);
  const groups = prunableGroups(a);
  if (groups.length === 0) {
    if (step === 1) throw new PruneError('NOTHING_PRUNABLE', 'the model has no prunable channel group');
    return graph;
  }
  const scores = scoreChannels(graph, groups, criterion, {
    data: { split: data.train, numClasses: data.numClasses, samples: cfg.scoreSamples ?? 512 },
    seed: mixSeed(cfg.seed, step),
  });
  return removeChannels(graph, a, chooseChannels(graph, a, groups, scores, target, cfg.scope));
}

/** Prune `graph` as configured; `onStep` sees each step's report as soon as it is known. */
export async function compressModel(
  graph: Graph,
  data: CompressData,
  cfg: CompressConfig,
  onStep?: (r: StepReport) => void,
): Promise<CompressResult> {
  if (!(Number.isInteger(cfg.steps) && cfg.steps >= 1)) {
    throw new PruneError('BAD_CONFIG', `steps must be a positive integer, got ${cfg.steps}`);
  }
  const targets = sparsitySchedule(cfg.schedule, cfg.sparsity, cfg.steps);
  const criterion = criterionOf(cfg.method);
  const p0 = countParams(graph);
  let g = graph;
  const reports: StepReport[] = [];
  for (const [i, s] of targets.entries()) {
    const step = i + 1;
    const ft = { ...cfg.finetune, seed: mixSeed(cfg.finetune.seed, step) };
    if (criterion === 'magnitude') {
      const masks = magnitudeMasks(g, (s * p0) / countParams(g), cfg.scope);
      g = await finetune(applyMasks(g, masks), { split: data.train, numClasses: data.numClasses }, ft, masks);
    } else {
      g = pruneStructured(g, criterion, Math.floor((1 - s) * p0), data, cfg, step);
      g = await finetune(g, { split: data.train, numClasses: data.numClasses }, ft);
    }
    const params = countParams(g);
    const nonzero = countNonzero(g);
    const r: StepReport = {
      step,
      sparsity: s,
      params,
      nonzero,
      paramFraction: params / p0,
      nonzeroFraction: nonzero / p0,
      ...(data.eval ? { accuracy: evaluateGraph(g, data.eval).accuracy } : {}),
    };
    reports.push(r);
    onStep?.(r);
  }
  return { graph: g, physical: criterion !== 'magnitude', paramsBefore: p0, steps: reports };
}
