/**
 * The plan of one model on one MCU profile (issue 4 item 5): what `tinyfleet plan --json` prints.
 *
 * - `flash_bytes`: the artifact content (size.ts), which must fit one model slot (profiles.ts `slotBytes`).
 * - `ram_bytes`: inference arena + RAM copies of the trainable weights (loaded even for inference,
 *   §5.6) + the profile's runtime RAM.
 * - `train_ram_bytes`: training arena + RAM copies + the training engine's scratch (training.ts
 *   `trainScratchBytes`, for the session parameters `training`, default the artifact defaults) +
 *   runtime RAM; 0 without a trainable set.
 * - `macs`, `latency_ms`, `energy_mj`: one forward pass; `backward_macs`, `train_latency_ms`,
 *   `train_energy_mj`: one training step (forward + backward + update) at `update_rate`.
 * - `fits`: every limit holds; `limits` names the ones that fail (`ram`, `flash`, `train_ram`).
 */
import { backwardCost, energyMj, forwardCost, millis } from './cost.js';
import type { PlanGraph } from './graph.js';
import { planInference } from './memory.js';
import { type McuProfile, slotBytes } from './profiles.js';
import { artifactBytes } from './size.js';
import { planTraining, type ScratchParams } from './training.js';

export type Limit = 'ram' | 'flash' | 'train_ram';

export interface PlanOptions {
  /** Trainable op indices (trainable.ts); empty or absent: inference only. */
  readonly trainable?: readonly number[];
  /** Dynamic partial update rate in (0, 1] for the backward cost (default 1). */
  readonly updateRate?: number;
  /** λ_min, λ_max and the batch size the training scratch is sized for (default TRAINING_DEFAULTS). */
  readonly training?: ScratchParams;
}

export interface PlanReport {
  readonly model: string;
  readonly target: string;
  readonly flash_bytes: number;
  readonly ram_bytes: number;
  readonly train_ram_bytes: number;
  readonly macs: number;
  readonly latency_ms: number;
  readonly energy_mj: number;
  readonly fits: boolean;
  readonly limits: readonly Limit[];
  readonly trainable_ops: readonly number[];
  readonly backward_macs: number;
  readonly update_rate: number;
  readonly train_latency_ms: number;
  readonly train_energy_mj: number;
  readonly detail: {
    readonly arena_infer_bytes: number;
    readonly arena_train_bytes: number;
    readonly ram_copy_bytes: number;
    readonly scratch_bytes: number;
    readonly runtime_ram_bytes: number;
    readonly ram_limit_bytes: number;
    readonly flash_limit_bytes: number;
  };
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export function planModel(g: PlanGraph, p: McuProfile, o: PlanOptions = {}): PlanReport {
  const inf = planInference(g);
  const trainable = o.trainable ?? [];
  const rate = o.updateRate ?? 1;
  const tr = trainable.length > 0 ? planTraining(g, inf, trainable, o.training) : null;
  const fwd = forwardCost(g, p);
  const bwd = tr ? backwardCost(g, tr, p, rate) : { macs: 0, cycles: 0 };
  const ramCopy = tr?.ramCopyBytes ?? 0;
  const flash = artifactBytes(g, tr?.extras.length ?? 0, tr?.trainableOps.length ?? 0);
  const ram = inf.arenaBytes + ramCopy + p.runtimeRamBytes;
  const trainRam = tr ? tr.arenaBytes + ramCopy + tr.scratchBytes + p.runtimeRamBytes : 0;
  const limits: Limit[] = [];
  if (ram > p.ramBytes) limits.push('ram');
  if (flash > slotBytes(p)) limits.push('flash');
  if (trainRam > p.ramBytes) limits.push('train_ram');
  const latency = millis(fwd.cycles, p);
  const trainLatency = tr ? millis(fwd.cycles + bwd.cycles, p) : 0;
  return {
    model: g.name,
    target: p.name,
    flash_bytes: flash,
    ram_bytes: ram,
    train_ram_bytes: trainRam,
    macs: fwd.macs,
    latency_ms: round(latency, 3),
    energy_mj: round(energyMj(latency, p), 4),
    fits: limits.length === 0,
    limits,
    trainable_ops: tr?.trainableOps ?? [],
    backward_macs: Math.round(bwd.macs),
    update_rate: rate,
    train_latency_ms: round(trainLatency, 3),
    train_energy_mj: round(energyMj(trainLatency, p), 4),
    detail: {
      arena_infer_bytes: inf.arenaBytes,
      arena_train_bytes: tr?.arenaBytes ?? 0,
      ram_copy_bytes: ramCopy,
      scratch_bytes: tr?.scratchBytes ?? 0,
      runtime_ram_bytes: p.runtimeRamBytes,
      ram_limit_bytes: p.ramBytes,
      flash_limit_bytes: slotBytes(p),
    },
  };
}
