/**
 * The training plan (PROTOCOL.md §5.6, §5.7; RESEARCH.md §1): FQT without an optimizer state, batch
 * size 1 (streaming), backward generated ahead of time from the forward schedule.
 *
 * Timeline of one training step with n ops: forward op i at time i (the input is written at -1); the
 * loss (softmax + cross-entropy, fused) at time n writes the error of the logits (the input of a final
 * SOFTMAX, else the model output); the backward of op i at time 2n - i, for the ops that lie on a path
 * from a trainable op to the loss. Nothing below the first trainable op runs backward.
 *
 * - Forward tensors keep their inference offsets and live ranges (§5.6).
 * - SAVED copies keep what a backward op reads, from the op that writes it to its last backward use:
 *   the input x of a trainable weighted op (weight gradient); the output y of a clamped weighted op, a
 *   RELU, RELU6 or SOFTMAX (error mask); the input x of a MAXPOOL2D (argmax). AVGPOOL, GLOBAL_AVGPOOL,
 *   ADD, CONCAT and RESHAPE need no forward values.
 * - ERROR tensors (uint8) of every buffer on such a path, from the first backward op that writes it
 *   (the consumer with the highest index, or the loss) to the backward of the op that produced it.
 * - Per buffer, not per tensor: a RESHAPE output shares its input's bytes in the arena, and so shares
 *   its input's SAVED copy and ERROR tensor; their `ref` is the buffer's root tensor (the input side).
 * - Trainable weights and biases are RAM_COPY (§5.5.2); frozen weights stay in flash.
 * - `scratchBytes`: what the device's training engine takes besides the arena (not artifact tensors),
 *   `trainScratchBytes`, the same sum as firmware-templates/src/train/tf_train_mem.c `tf_train_carve`.
 */
import type { ArtifactTraining } from '@tinyfleet/protocol/artifact';
import { updatedStructures } from '@tinyfleet/protocol/messages';
import { PlanError } from './errors.js';
import { elements, type PlanGraph, WEIGHTED_KINDS } from './graph.js';
import { align16, type Buffer, placeGreedy } from './greedy.js';
import type { Interval } from './liveness.js';
import type { InferencePlan } from './memory.js';

/** Training defaults written with a trainable set; a session may override them (§4.4, §5.7). */
export const TRAINING_DEFAULTS: Omit<ArtifactTraining, 'trainableOps'> = {
  lambdaMin: Math.fround(0.1),
  lambdaMax: 1,
  learningRate: Math.fround(0.01),
  batchSize: 1,
  epsMode: 'LOSS_RATIO',
  emaActivations: Math.fround(0.05),
  emaErrors: Math.fround(0.05),
  emaWeights: Math.fround(0.01),
  update: 'STANDARDIZED', // §6.6.10 defaults, TRAIN record bytes 27, 28
  rounding: 'NEAREST',
};

/** The session parameters the scratch depends on (§5.7; default TRAINING_DEFAULTS). */
export type ScratchParams = Pick<ArtifactTraining, 'lambdaMin' | 'lambdaMax' | 'batchSize'>;

export interface TrainTensor extends Interval {
  readonly kind: 'SAVED' | 'ERROR';
  /** Root tensor id of the buffer saved, or whose error this is. */
  readonly ref: number;
  readonly bytes: number;
  readonly offset: number;
}

export interface TrainingPlan {
  readonly trainableOps: readonly number[];
  /** Ops whose backward runs, in backward (descending) order. */
  readonly backwardOps: readonly number[];
  /** Ops whose backward also propagates the error to (some) activation input. */
  readonly propagates: ReadonlySet<number>;
  /** SAVED tensors (ascending ref), then ERROR tensors (ascending ref). */
  readonly extras: readonly TrainTensor[];
  readonly arenaBytes: number;
  readonly ramCopyBytes: number;
  readonly scratchBytes: number;
}

/** Checks a trainable op set: weighted ops with uint8 per-tensor weights (PROTOCOL.md §5.7). */
export function checkTrainable(g: PlanGraph, ops: readonly number[]): number[] {
  const sorted = [...new Set(ops)].sort((a, b) => a - b);
  for (const i of sorted) {
    const op = g.ops[i];
    if (!op || !WEIGHTED_KINDS.has(op.kind)) {
      throw new PlanError('BAD_TRAINABLE', `op ${i} is not a conv, depthwise, conv1d or dense op`);
    }
    const w = g.tensors[op.weight!]!;
    if (w.perChannel || w.dtype !== 'UINT8') {
      throw new PlanError(
        'NOT_TRAINABLE',
        `op ${i} has ${w.dtype} per-channel weights; FQT trains uint8 per-tensor`,
      );
    }
  }
  return sorted;
}

/** Elements per structure (filter or row) of a weighted op's weight. */
export function structureSize(g: PlanGraph, op: number): { structures: number; size: number } {
  const o = g.ops[op]!;
  const w = g.tensors[o.weight!]!;
  const structures = o.kind === 'DEPTHWISE_CONV2D' ? w.shape[w.shape.length - 1]! : w.shape[0]!;
  return { structures, size: elements(w.shape) / structures };
}

const align = (n: number): number => (n + 15) & ~15;

/**
 * Bytes of scratch the device's training engine (tf_train.h) takes for a session on `trainOps` with
 * `p`, each buffer 16-aligned, in the engine's order: int32 accumulators (the largest of the logits,
 * the input of every weighted or average-pool op of the chain above the first trained op, the routing
 * sums of an overlapping MAXPOOL2D), one int32 gradient row (the largest es), the logits' softmax
 * probabilities (u8) and softmax scratch (int32), the es binary32 means of a trained logits producer
 * (§6.6.6 step 2a), 2 binary32 statistics per held row (§6.6.6 step 1), then per trained op N u32
 * magnitudes, N u16 selection, N i32 bias sums, R binary32 bias gradients and R x es binary32 gradient
 * rows, R = max(1, floor(λ_max N)) (§6.6.8 at |eps| = 1) for bs = 1 and N for bs > 1.
 */
export function trainScratchBytes(
  g: PlanGraph,
  trainOps: readonly number[],
  p: ScratchParams = TRAINING_DEFAULTS,
): number {
  const first = trainOps[0]!;
  let last = g.ops.length - 1;
  if (g.ops[last]!.kind === 'SOFTMAX' && last > 0) last--; // §6.6.2: a final SOFTMAX is not in the chain
  const out = (i: number): number => elements(g.tensors[g.ops[i]!.output]!.shape);
  const input = (i: number): number => elements(g.tensors[g.ops[i]!.inputs[0]!]!.shape);
  const logits = out(last);
  let acc = logits;
  for (let i = first + 1; i <= last; i++) {
    const op = g.ops[i]!;
    let n = 0;
    if (WEIGHTED_KINDS.has(op.kind) || op.kind === 'AVGPOOL2D' || op.kind === 'GLOBAL_AVGPOOL') n = input(i);
    else if (op.kind === 'MAXPOOL2D' && op.overlap) n = input(i);
    acc = Math.max(acc, n);
  }
  const layers = trainOps.map((i) => {
    const { structures, size } = structureSize(g, i);
    const k = updatedStructures(structures, p.lambdaMin, p.lambdaMax, 1);
    return { n: structures, es: size, rows: p.batchSize === 1 ? k : structures };
  });
  let producer = last;
  while (producer > first && g.ops[producer]!.kind === 'RESHAPE') producer--;
  const pop = g.ops[producer]!;
  const recentred =
    pop.plainClamp && pop.kind !== 'DEPTHWISE_CONV2D' && trainOps.includes(producer)
      ? structureSize(g, producer).size
      : 0;
  const takes = [
    acc * 4,
    Math.max(1, ...layers.map((l) => l.es)) * 4,
    logits,
    logits * 4,
    ...(recentred > 0 ? [recentred * 4] : []),
    Math.max(1, ...layers.map((l) => l.rows)) * 8,
    ...layers.flatMap((l) => [l.n * 4, l.n * 2, l.n * 4, l.rows * 4, l.rows * l.es * 4]),
  ];
  return takes.reduce((used, b) => align(used) + b, 0);
}

export function planTraining(
  g: PlanGraph,
  inf: InferencePlan,
  trainable: readonly number[],
  params: ScratchParams = TRAINING_DEFAULTS,
): TrainingPlan {
  const trainOps = checkTrainable(g, trainable);
  const n = g.ops.length;
  const root = (id: number): number => inf.liveness.root.get(id)!;
  const back = (i: number): number => 2 * n - i;
  const last = g.ops[n - 1]!;
  const tailSoftmax = last.kind === 'SOFTMAX' && root(last.output) === root(g.output);
  const lossTarget = root(tailSoftmax ? last.inputs[0]! : g.output);
  const isTrainable = new Set(trainOps);

  const depends = new Set<number>(); // buffers whose error is needed
  const backwardOps: number[] = [];
  const propagates = new Set<number>();
  g.ops.forEach((op, i) => {
    if (op.kind === 'RESHAPE' || (tailSoftmax && i === n - 1)) return;
    const fromInput = op.inputs.some((x) => depends.has(root(x)));
    if (!isTrainable.has(i) && !fromInput) return;
    depends.add(root(op.output));
    backwardOps.unshift(i);
    if (fromInput) propagates.add(i);
  });

  const saved = new Map<number, Interval>();
  const keep = (id: number, until: number): void => {
    const r = root(id);
    const range = inf.liveness.ranges.get(r)!;
    const prev = saved.get(r);
    saved.set(r, { first: range.first, last: Math.max(prev?.last ?? until, until) });
  };
  for (const i of backwardOps) {
    const op = g.ops[i]!;
    const weighted = WEIGHTED_KINDS.has(op.kind);
    if (weighted && isTrainable.has(i)) keep(op.inputs[0]!, back(i));
    if ((weighted && op.clamped) || op.kind === 'RELU' || op.kind === 'RELU6' || op.kind === 'SOFTMAX') {
      keep(op.output, back(i));
    }
    if (op.kind === 'MAXPOOL2D') keep(op.inputs[0]!, back(i));
  }

  const errors = new Map<number, Interval>();
  for (const r of depends) {
    let first = r === lossTarget ? n : Number.POSITIVE_INFINITY;
    g.ops.forEach((op, c) => {
      if (op.kind === 'RESHAPE' || (tailSoftmax && c === n - 1)) return;
      if (op.inputs.some((x) => root(x) === r)) first = Math.min(first, back(c));
    });
    if (first === Number.POSITIVE_INFINITY) continue; // a dead branch: no error ever reaches it
    errors.set(r, { first, last: back(inf.liveness.ranges.get(r)!.first) });
  }

  const specs = [
    ...[...saved].sort((a, b) => a[0] - b[0]).map(([ref, r]) => ({ kind: 'SAVED' as const, ref, ...r })),
    ...[...errors].sort((a, b) => a[0] - b[0]).map(([ref, r]) => ({ kind: 'ERROR' as const, ref, ...r })),
  ].map((s) => ({
    ...s,
    bytes: elements(g.tensors[s.ref]!.shape) * (s.kind === 'SAVED' ? bytesPer(g, s.ref) : 1),
  }));
  const buffers: Buffer[] = specs.map((s, k) => ({
    key: -(k + 1),
    bytes: s.bytes,
    first: s.first,
    last: s.last,
  }));
  const placement = placeGreedy(buffers, inf.placed);
  const extras = specs.map((s, k) => ({ ...s, offset: placement.offsets.get(-(k + 1))! }));

  let ramCopyBytes = 0;
  for (const i of trainOps) {
    const op = g.ops[i]!;
    ramCopyBytes += align16(g.tensors[op.weight!]!.bytes);
    if (op.bias !== undefined) ramCopyBytes += align16(g.tensors[op.bias]!.bytes);
  }
  const scratchBytes = trainScratchBytes(g, trainOps, params);
  return {
    trainableOps: trainOps,
    backwardOps,
    propagates,
    extras,
    arenaBytes: Math.max(placement.bytes, inf.arenaBytes),
    ramCopyBytes,
    scratchBytes,
  };
}

function bytesPer(g: PlanGraph, id: number): number {
  const t = g.tensors[id]!;
  return t.bytes / elements(t.shape);
}
