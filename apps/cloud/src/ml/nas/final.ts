/**
 * After the search (PrototypeNAS step 3, RESEARCH.md §4): each selected model is trained (seeded SGD,
 * cosine, weight decay `FINAL_WEIGHT_DECAY` unless `weightDecay` is given) and pruned by its genome's
 * pruning genes, post-training quantized (8-bit, calibrated on training samples; per-channel weights
 * when most of its stages ask for it), its integer accuracy measured on the whole test split (worker
 * threads running an interpreter with the reference interpreter's numbers, qeval/), and
 * the quantized artifact planned on the target: the `fits` reported is the planner's verdict on the
 * real artifact, not on the search-time estimate; with `outDir` the artifacts that fit are written
 * (`tinyfleet nas --out-dir`, and cloud jobs register them as models).
 *
 * Pruning genes (prune-genes.ts: each prunable channel group at its stage's ratio, L1 norm), two ways:
 * - `agp` (default): gradually during the training (prune-train.ts): four AGP cuts from 10% to 40% of
 *   the steps, the rest of the cosine schedule trains the pruned graph; no fully trained unpruned
 *   model exists, so `float_accuracy_unpruned` is null;
 * - `one-shot`: train (train.ts), cut once, fine-tune (`pruneFinetune`: 1 epoch, cosine from `lr`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSplit, Dataset } from '../data/types.js';
import type { Graph } from '../graph/types.js';
import { planGraphOf } from '../plan/graph.js';
import type { McuProfile } from '../plan/profiles.js';
import { planModel } from '../plan/report.js';
import { analyzeGroups, countParams, finetune, removeChannels } from '../prune/index.js';
import { toArtifactModel, writeQuantizedArtifact } from '../quant/artifact.js';
import { postTrainingQuantize } from '../quant/ptq.js';
import { mixSeed } from '../tensor/rng.js';
import { evaluateGraph } from '../train/trainer.js';
import { genomePerChannel } from './cost/planned.js';
import { genomeKeep } from './prune-genes.js';
import { type GradualPruning, trainPruned } from './prune-train.js';
import { QuantEvalPool } from './qeval/index.js';
import { decode } from './space/decode.js';
import type { Genome } from './space/genome.js';
import { type BriefTraining, trainBriefly } from './train.js';

export { genomeKeep } from './prune-genes.js';

export const PRUNE_SCHEDULES = ['agp', 'one-shot'] as const;
export type PruneSchedule = (typeof PRUNE_SCHEDULES)[number];

/** L2 weight decay of the final training (bench:nas measured +0.1-0.2 points with it, NAS README). */
export const FINAL_WEIGHT_DECAY = 5e-4;

export interface FinalOptions extends Omit<BriefTraining, 'testLimit'> {
  readonly profile: McuProfile;
  /** How the pruning genes are applied ('agp'). */
  readonly pruneSchedule?: PruneSchedule;
  /** AGP points (prune-train.ts `DEFAULT_GRADUAL`). */
  readonly gradual?: GradualPruning;
  /** Calibration samples of PTQ (1000). */
  readonly calibration?: number;
  /** Test samples the integer interpreter runs (all); float accuracy always uses the whole test split. */
  readonly quantTestLimit?: number;
  /** Worker threads of the integer evaluation (`threads`; 0: in this thread). */
  readonly evalWorkers?: number;
  readonly log?: (s: string) => void;
  /** Write each model that fits as a model artifact `DIR/nas-<rank>.tfm` (ready for OTA, PROTOCOL.md §5). */
  readonly outDir?: string;
  /** One-shot only: fine-tuning after the cut (1 epoch; `samplesPerEpoch` caps it to a fresh subset per epoch). */
  readonly pruneFinetune?: { readonly epochs?: number; readonly samplesPerEpoch?: number };
}

/** What the final step needs of a selected candidate (a zero-shot `Candidate` is one). */
export interface Selected {
  readonly genome: Genome;
  readonly key: string;
  readonly cost: { readonly macs: number };
}

export interface FinalModel {
  readonly key: string;
  readonly family: string;
  /** Parameters of the final (pruned) float model. */
  readonly params: number;
  /** Parameters of the decoded model before pruning. */
  readonly params_unpruned: number;
  readonly macs: number;
  /** Float test accuracy of the final (pruned, trained) model. */
  readonly float_accuracy: number;
  /** Float test accuracy of the trained model before pruning (one-shot, or nothing pruned), else null. */
  readonly float_accuracy_unpruned: number | null;
  /** Whether the genome's pruning genes removed any channel. */
  readonly pruned: boolean;
  readonly prune_schedule: PruneSchedule;
  readonly quant_accuracy: number;
  readonly quant_test_samples: number;
  readonly per_channel: boolean;
  readonly flash_bytes: number;
  readonly ram_bytes: number;
  readonly latency_ms: number;
  readonly fits: boolean;
  readonly limits: readonly string[];
  /** Training (with the AGP cuts for `agp`). */
  readonly train_seconds: number;
  /** One-shot pruning + fine-tuning (0 when nothing is pruned, and for `agp`). */
  readonly prune_seconds: number;
  /** PTQ, integer evaluation and planning. */
  readonly quantize_seconds: number;
  /** The artifact file written (with `outDir`, when the model fits), else null. */
  readonly artifact: string | null;
}

interface Trained {
  readonly graph: Graph;
  readonly accuracy: number;
  readonly accuracyUnpruned: number | null;
  readonly paramsUnpruned: number;
  readonly pruned: boolean;
  readonly trainSeconds: number;
  readonly pruneSeconds: number;
}

async function oneShot(graph: Graph, genome: Genome, data: Dataset, o: FinalOptions): Promise<Trained> {
  const trained = await trainBriefly(graph, data, o);
  const base = {
    accuracyUnpruned: trained.testAccuracy,
    paramsUnpruned: countParams(trained.graph),
    trainSeconds: trained.seconds,
  };
  const t0 = performance.now();
  const keep = genome.stages.some((s) => s.prune > 0) ? genomeKeep(trained.graph, genome) : new Map();
  if (keep.size === 0) {
    return { ...base, graph: trained.graph, accuracy: trained.testAccuracy, pruned: false, pruneSeconds: 0 };
  }
  const train: DataSplit =
    o.limit !== undefined && o.limit < data.train.size
      ? { size: o.limit, get: data.train.get.bind(data.train) }
      : data.train;
  const samples = o.pruneFinetune?.samplesPerEpoch;
  const g = await finetune(
    removeChannels(trained.graph, analyzeGroups(trained.graph), keep),
    { split: train, numClasses: data.numClasses },
    {
      epochs: o.pruneFinetune?.epochs ?? 1,
      batch: o.batch ?? 64,
      lr: o.lr ?? 0.05,
      seed: mixSeed(o.seed, 0x9e1),
      threads: o.threads,
      ...(samples !== undefined ? { samplesPerEpoch: samples } : {}),
    },
  );
  const pruneSeconds = (performance.now() - t0) / 1000;
  return { ...base, graph: g, accuracy: evaluateGraph(g, data.test).accuracy, pruned: true, pruneSeconds };
}

async function gradual(graph: Graph, genome: Genome, data: Dataset, o: FinalOptions): Promise<Trained> {
  const r = await trainPruned(graph, genome, data, o);
  return {
    graph: r.graph,
    accuracy: r.testAccuracy,
    accuracyUnpruned: r.pruned ? null : r.testAccuracy,
    paramsUnpruned: r.paramsBefore,
    pruned: r.pruned,
    trainSeconds: r.seconds,
    pruneSeconds: 0,
  };
}

export async function finalizeSelection(
  chosen: readonly Selected[],
  data: Dataset,
  o: FinalOptions,
): Promise<FinalModel[]> {
  const schedule = o.pruneSchedule ?? 'agp';
  const pool = await QuantEvalPool.start(o.evalWorkers ?? o.threads);
  const out: FinalModel[] = [];
  try {
    for (const [i, c] of chosen.entries()) {
      o.log?.(`final ${i + 1}/${chosen.length}: training ${c.key} (${c.cost.macs} MACs)`);
      const graph = decode(c.genome, data.inputShape, data.numClasses, { seed: o.seed });
      const ot = { ...o, weightDecay: o.weightDecay ?? FINAL_WEIGHT_DECAY };
      const tr = await (schedule === 'agp' ? gradual : oneShot)(graph, c.genome, data, ot);
      const t0 = performance.now();
      const perChannel = genomePerChannel(c.genome);
      const q = postTrainingQuantize(tr.graph, data.train, {
        perChannel,
        samples: o.calibration ?? 1000,
        ...(data.inputEncoding ? { inputQ: data.inputEncoding } : {}),
      });
      const qe = await pool.evaluate(q, data.test, o.quantTestLimit);
      const plan = planModel(planGraphOf(toArtifactModel(q)), o.profile);
      let artifact: string | null = null;
      if (o.outDir !== undefined && plan.fits) {
        artifact = join(o.outDir, `nas-${i + 1}.tfm`);
        mkdirSync(o.outDir, { recursive: true });
        writeFileSync(artifact, writeQuantizedArtifact(q, { name: `nas-${i + 1}-${c.genome.family}` }));
      }
      const m: FinalModel = {
        key: c.key,
        family: c.genome.family,
        params: countParams(tr.graph),
        params_unpruned: tr.paramsUnpruned,
        macs: plan.macs,
        float_accuracy: tr.accuracy,
        float_accuracy_unpruned: tr.accuracyUnpruned,
        pruned: tr.pruned,
        prune_schedule: schedule,
        quant_accuracy: qe.accuracy,
        quant_test_samples: qe.samples,
        per_channel: perChannel,
        flash_bytes: plan.flash_bytes,
        ram_bytes: plan.ram_bytes,
        latency_ms: plan.latency_ms,
        fits: plan.fits,
        limits: plan.limits,
        train_seconds: tr.trainSeconds,
        prune_seconds: tr.pruneSeconds,
        quantize_seconds: (performance.now() - t0) / 1000,
        artifact,
      };
      o.log?.(describe(m, i, chosen.length));
      out.push(m);
    }
  } finally {
    await pool.close();
  }
  return out;
}

function describe(m: FinalModel, i: number, k: number): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const before = m.float_accuracy_unpruned !== null ? `${pct(m.float_accuracy_unpruned)} -> ` : '';
  const what = m.pruned
    ? `pruned (${m.prune_schedule}) ${m.params_unpruned} -> ${m.params} params, float ${before}`
    : 'float ';
  const fit = m.fits ? 'fits' : `does not fit (${m.limits.join(', ')})`;
  const secs = `${m.train_seconds.toFixed(0)} s + ${m.prune_seconds.toFixed(0)} s + ${m.quantize_seconds.toFixed(0)} s`;
  return `final ${i + 1}/${k}: ${what}${pct(m.float_accuracy)} int8 ${pct(m.quant_accuracy)} (${m.quant_test_samples} test samples) ${fit} (${secs})`;
}
