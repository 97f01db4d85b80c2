/**
 * After the search (PrototypeNAS step 3, RESEARCH.md §4): each selected model is trained (train.ts,
 * seeded), post-training quantized (8-bit, calibrated on training samples; per-channel weights when
 * most of its stages ask for it), its integer accuracy measured with the reference interpreter, and
 * the quantized artifact planned on the target: the `fits` reported is the planner's verdict on the
 * real artifact, not on the search-time estimate; with `outDir` the artifacts that fit are written
 * (`tinyfleet nas --out-dir`, and cloud jobs register them as models). Pruning genes are not applied yet.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/types.js';
import { planGraphOf } from '../plan/graph.js';
import type { McuProfile } from '../plan/profiles.js';
import { planModel } from '../plan/report.js';
import { toArtifactModel, writeQuantizedArtifact } from '../quant/artifact.js';
import { evaluateQuantized } from '../quant/evaluate.js';
import { postTrainingQuantize } from '../quant/ptq.js';
import { genomePerChannel } from './cost/planned.js';
import type { Candidate } from './search/candidate.js';
import { decode } from './space/decode.js';
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
}

export interface FinalModel {
  readonly key: string;
  readonly family: string;
  readonly params: number;
  readonly macs: number;
  readonly float_accuracy: number;
  readonly quant_accuracy: number;
  readonly quant_test_samples: number;
  readonly per_channel: boolean;
  readonly flash_bytes: number;
  readonly ram_bytes: number;
  readonly latency_ms: number;
  readonly fits: boolean;
  readonly limits: readonly string[];
  readonly train_seconds: number;
  readonly quantize_seconds: number;
  /** The artifact file written (with `outDir`, when the model fits), else null. */
  readonly artifact: string | null;
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
    const t0 = performance.now();
    const perChannel = genomePerChannel(c.genome);
    const q = postTrainingQuantize(trained.graph, data.train, {
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
      params: c.cost.params,
      macs: plan.macs,
      float_accuracy: trained.testAccuracy,
      quant_accuracy: qe.accuracy,
      quant_test_samples: qe.samples,
      per_channel: perChannel,
      flash_bytes: plan.flash_bytes,
      ram_bytes: plan.ram_bytes,
      latency_ms: plan.latency_ms,
      fits: plan.fits,
      limits: plan.limits,
      train_seconds: trained.seconds,
      quantize_seconds: (performance.now() - t0) / 1000,
      artifact,
    };
    o.log?.(
      `final ${i + 1}/${chosen.length}: float ${(m.float_accuracy * 100).toFixed(2)}% int8 ${(m.quant_accuracy * 100).toFixed(2)}% ${m.fits ? 'fits' : `does not fit (${m.limits.join(', ')})`} (${m.train_seconds.toFixed(0)} s + ${m.quantize_seconds.toFixed(0)} s)`,
    );
    out.push(m);
  }
  return out;
}
