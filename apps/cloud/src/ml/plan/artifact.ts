/**
 * Writes a plan into an artifact model (PROTOCOL.md §5.6, §5.7): inference arena offsets and, for a
 * trainable set, RAM_COPY + TRAINABLE weights and biases of the trained ops, the SAVED and ERROR
 * tensors with their training-arena offsets (appended after the forward tensors), `arenaTrainBytes`
 * and the training defaults.
 */
import type { ArtifactModel, ArtifactTensor, ArtifactTraining } from '@tinyfleet/protocol/artifact';
import { PlanError } from './errors.js';
import { planGraphOf } from './graph.js';
import { planInference } from './memory.js';
import { planTraining, TRAINING_DEFAULTS } from './training.js';

export { TRAINING_DEFAULTS };

/** Error tensors start on a fixed [-1, 1] range (RESEARCH.md §1, poster version). */
const ERROR_QUANT = { kind: 'PER_TENSOR', scale: Math.fround(2 / 255), zeroPoint: 128 } as const;

export type TrainingOptions = Partial<Omit<ArtifactTraining, 'trainableOps'>>;

export function withPlan(
  model: ArtifactModel,
  trainable: readonly number[] = [],
  defaults: TrainingOptions = {},
): ArtifactModel {
  if (model.tensors.some((t) => t.flags.includes('ERROR') || t.flags.includes('SAVED'))) {
    throw new PlanError('BAD_MODEL', 'the model already has training tensors; plan its forward model');
  }
  const g = planGraphOf(model);
  const inf = planInference(g);
  const forward: ArtifactTensor[] = model.tensors.map((t, id) => {
    const base = { ...t, flags: t.flags.filter((f) => f !== 'TRAINABLE') };
    if (t.storage === 'RAM_COPY') return { ...base, storage: 'FLASH' };
    if (t.storage === 'ARENA') return { ...base, arenaOffset: inf.offsets.get(id) ?? 0 };
    return base;
  });
  if (trainable.length === 0) {
    return {
      ...model,
      tensors: forward,
      arenaInferBytes: inf.arenaBytes,
      arenaTrainBytes: 0,
      training: null,
    };
  }
  const tr = planTraining(g, inf, trainable, { ...TRAINING_DEFAULTS, ...defaults });
  for (const i of tr.trainableOps) {
    const op = g.ops[i]!;
    for (const id of [op.weight, op.bias]) {
      if (id === undefined) continue;
      forward[id] = { ...forward[id]!, storage: 'RAM_COPY', flags: ['TRAINABLE'] };
    }
  }
  const extras = tr.extras.map((e): ArtifactTensor => {
    const ref = model.tensors[e.ref]!;
    return {
      dtype: e.kind === 'SAVED' ? ref.dtype : 'UINT8',
      storage: 'ARENA',
      flags: [e.kind],
      shape: ref.shape,
      quant: e.kind === 'SAVED' ? ref.quant : ERROR_QUANT,
      arenaOffset: e.offset,
      ref: e.ref,
    };
  });
  return {
    ...model,
    tensors: [...forward, ...extras],
    arenaInferBytes: inf.arenaBytes,
    arenaTrainBytes: tr.arenaBytes,
    training: { ...TRAINING_DEFAULTS, ...defaults, trainableOps: tr.trainableOps },
  };
}
