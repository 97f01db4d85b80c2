/**
 * After the search (PrototypeNAS step 3, RESEARCH.md §4): each selected model is trained (train.ts,
 * seeded), post-training quantized (8-bit, calibrated on training samples; per-channel weights when
 * most of its stages ask for it), its integer accuracy measured with the reference interpreter, and
 * the quantized artifact planned on the target: the `fits` reported is the planner's verdict on the
 * real artifact, not on the search-time estimate; with `outDir` the artifacts that fit are written
 * (`tinyfleet nas --out-dir`, and cloud jobs register them as models).
 *
 * Pruning genes: after training, when some stage asks for a ratio > 0, every prunable channel group
 * (prune/groups.ts) loses that fraction of its channels by L1 norm, one-shot (at least one kept), and the
 * smaller graph is fine-tuned briefly (`pruneFinetune`, 1 epoch). A group's ratio is its producers'
 * stage gene (`stageOfNode`); a group spanning stages (a residual identity shortcut) takes the smallest
 * of them, and one touching the stem or head takes 0. `compressModel` takes one global sparsity, so the
 * per-stage ratios use the lower-level API (scoreChannels / topChannels / removeChannels) directly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSplit, Dataset } from '../data/types.js';
import type { Graph } from '../graph/types.js';
import { planGraphOf } from '../plan/graph.js';
import type { McuProfile } from '../plan/profiles.js';
import { planModel } from '../plan/report.js';
import {
  analyzeGroups,
  countParams,
  finetune,
  type KeepMap,
  prunableGroups,
  removeChannels,
  scoreChannels,
  topChannels,
} from '../prune/index.js';
import { toArtifactModel, writeQuantizedArtifact } from '../quant/artifact.js';
import { evaluateQuantized } from '../quant/evaluate.js';
import { postTrainingQuantize } from '../quant/ptq.js';
import { mixSeed } from '../tensor/rng.js';
import { evaluateGraph } from '../train/trainer.js';
import { genomePerChannel } from './cost/planned.js';
import type { Candidate } from './search/candidate.js';
import { decode, stageOfNode } from './space/decode.js';
import type { Genome } from './space/genome.js';
import { type BriefTraining, trainBriefly } from './train.js';

export interface FinalOptions extends Omit<BriefTraining, 'testLimit'> {
  readonly profile: McuProfile;
  /** Calibration samples of PTQ (1000). */
  readonly calibration?: number;
  /** Test samples the integer interpreter runs (all); float accuracy always uses the whole test split. */
  readonly quantTestLimit?: number;
  readonly log?: (s: string) => void;
  /** Write each model that fits as a model artifact `DIR/nas-<rank>.tfm` (ready for OTA, PROTOCOL.md §5). */
  readonly outDir?: string;
  /** Fine-tuning after pruning (1 epoch; `samplesPerEpoch` caps it to a fresh subset per epoch). */
  readonly pruneFinetune?: { readonly epochs?: number; readonly samplesPerEpoch?: number };
}

export interface FinalModel {
  readonly key: string;
  readonly family: string;
  /** Parameters of the final (pruned) float model. */
  readonly params: number;
  /** Parameters of the trained model before pruning. */
  readonly params_unpruned: number;
  readonly macs: number;
  /** Float test accuracy of the final (pruned, fine-tuned) model. */
  readonly float_accuracy: number;
  /** Float test accuracy of the trained model before pruning. */
  readonly float_accuracy_unpruned: number;
  /** Whether the genome's pruning genes removed any channel. */
  readonly pruned: boolean;
  readonly quant_accuracy: number;
  readonly quant_test_samples: number;
  readonly per_channel: boolean;
  readonly flash_bytes: number;
  readonly ram_bytes: number;
  readonly latency_ms: number;
  readonly fits: boolean;
  readonly limits: readonly string[];
  readonly train_seconds: number;
  /** Pruning + fine-tuning (0 when nothing is pruned). */
  readonly prune_seconds: number;
  readonly quantize_seconds: number;
  /** The artifact file written (with `outDir`, when the model fits), else null. */
  readonly artifact: string | null;
}

/** Channels to keep per prunable group under the genome's per-stage ratios (L1 norm, one-shot). */
export function genomeKeep(graph: Graph, genome: Genome): KeepMap {
  const a = analyzeGroups(graph);
  const groups = prunableGroups(a);
  const keep = new Map<number, readonly number[]>();
  if (groups.length === 0) return keep;
  const scores = scoreChannels(graph, groups, 'l1');
  for (const g of groups) {
    const stages = g.producers.map(stageOfNode);
    const ratio = stages.some((s) => s === null)
      ? 0
      : Math.min(...stages.map((s) => genome.stages[s!]?.prune ?? 0));
    const k = Math.max(1, Math.round((1 - ratio) * g.channels));
    if (k < g.channels) keep.set(g.id, topChannels(scores.get(g.id)!, k));
  }
  return keep;
}

interface Pruned {
  readonly graph: Graph;
  readonly accuracy: number;
  readonly pruned: boolean;
  readonly seconds: number;
}

async function pruneByGenome(
  graph: Graph,
  genome: Genome,
  trainedAccuracy: number,
  data: Dataset,
  o: FinalOptions,
): Promise<Pruned> {
  const t0 = performance.now();
  const keep = genome.stages.some((s) => s.prune > 0) ? genomeKeep(graph, genome) : new Map();
  if (keep.size === 0) return { graph, accuracy: trainedAccuracy, pruned: false, seconds: 0 };
  const train: DataSplit =
    o.limit !== undefined && o.limit < data.train.size
      ? { size: o.limit, get: data.train.get.bind(data.train) }
      : data.train;
  const samples = o.pruneFinetune?.samplesPerEpoch;
  const g = await finetune(
    removeChannels(graph, analyzeGroups(graph), keep),
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
  const seconds = (performance.now() - t0) / 1000;
  return { graph: g, accuracy: evaluateGraph(g, data.test).accuracy, pruned: true, seconds };
}

export async function finalizeSelection(
  chosen: readonly Candidate[],
  data: Dataset,
  o: FinalOptions,
): Promise<FinalModel[]> {
  const out: FinalModel[] = [];
  for (const [i, c] of chosen.entries()) {
    o.log?.(`final ${i + 1}/${chosen.length}: training ${c.key} (${c.cost.macs} MACs)`);
    const graph = decode(c.genome, data.inputShape, data.numClasses, { seed: o.seed });
    const trained = await trainBriefly(graph, data, o);
    const pr = await pruneByGenome(trained.graph, c.genome, trained.testAccuracy, data, o);
    const t0 = performance.now();
    const perChannel = genomePerChannel(c.genome);
    const q = postTrainingQuantize(pr.graph, data.train, {
      perChannel,
      samples: o.calibration ?? 1000,
      ...(data.inputEncoding ? { inputQ: data.inputEncoding } : {}),
    });
    const qe = evaluateQuantized(q, data.test, o.quantTestLimit);
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
      params: countParams(pr.graph),
      params_unpruned: countParams(trained.graph),
      macs: plan.macs,
      float_accuracy: pr.accuracy,
      float_accuracy_unpruned: trained.testAccuracy,
      pruned: pr.pruned,
      quant_accuracy: qe.accuracy,
      quant_test_samples: qe.samples,
      per_channel: perChannel,
      flash_bytes: plan.flash_bytes,
      ram_bytes: plan.ram_bytes,
      latency_ms: plan.latency_ms,
      fits: plan.fits,
      limits: plan.limits,
      train_seconds: trained.seconds,
      prune_seconds: pr.seconds,
      quantize_seconds: (performance.now() - t0) / 1000,
      artifact,
    };
    o.log?.(
      `final ${i + 1}/${chosen.length}: ${m.pruned ? `pruned ${m.params_unpruned} -> ${m.params} params, float ${(m.float_accuracy_unpruned * 100).toFixed(2)}% -> ` : 'float '}${(m.float_accuracy * 100).toFixed(2)}% int8 ${(m.quant_accuracy * 100).toFixed(2)}% ${m.fits ? 'fits' : `does not fit (${m.limits.join(', ')})`} (${m.train_seconds.toFixed(0)} s + ${m.quantize_seconds.toFixed(0)} s)`,
    );
    out.push(m);
  }
  return out;
}
