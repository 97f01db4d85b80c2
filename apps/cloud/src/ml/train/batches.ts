/** Gathering samples of a split into a plan's input buffer, and evaluation over a split. */
import type { DataSplit } from '../data/types.js';
import type { Plan } from '../engine/plan.js';
import { shapeSize } from '../graph/types.js';
import { TrainError } from './errors.js';
import { softmaxCrossEntropy } from './loss.js';

/** Copy samples `indices[from..from+n)` into the plan's input and `labels`; returns n. */
export function gather(
  plan: Plan,
  split: DataSplit,
  indices: ArrayLike<number>,
  from: number,
  labels: Int32Array,
  numClasses: number,
): number {
  const input = plan.act(plan.inputName).f32;
  const size = shapeSize(plan.graph.inputs[0]!.shape);
  const n = Math.min(plan.options.batch, indices.length - from);
  return gatherInto(input, size, split, indices, from, n, labels, numClasses);
}

/** Copy `n` samples `indices[from..from+n)` of `size` floats into `input` and `labels`; returns n. */
export function gatherInto(
  input: Float32Array,
  size: number,
  split: DataSplit,
  indices: ArrayLike<number>,
  from: number,
  n: number,
  labels: Int32Array,
  numClasses: number,
): number {
  for (let j = 0; j < n; j++) {
    const s = split.get(indices[from + j]!);
    if (s.x.length !== size) {
      throw new TrainError(
        'INPUT_MISMATCH',
        `sample has ${s.x.length} values, the model input takes ${size}`,
      );
    }
    if (!Number.isInteger(s.y) || s.y < 0 || s.y >= numClasses) {
      throw new TrainError('BAD_LABEL', `label ${s.y} outside [0, ${numClasses})`);
    }
    input.set(s.x, j * size);
    labels[j] = s.y;
  }
  return n;
}

export interface EvalResult {
  readonly loss: number;
  readonly accuracy: number;
  readonly samples: number;
}

/** Mean loss and accuracy of an inference plan over `indices` of a split (all of it by default). */
export function evaluatePlan(plan: Plan, split: DataSplit, indices?: ArrayLike<number>): EvalResult {
  const idx = indices ?? Int32Array.from({ length: split.size }, (_, i) => i);
  if (idx.length === 0) throw new TrainError('EMPTY_SPLIT', 'nothing to evaluate');
  const k = shapeSize(plan.shapes.get(plan.logits)!);
  const labels = new Int32Array(plan.options.batch);
  let loss = 0;
  let correct = 0;
  for (let from = 0; from < idx.length; ) {
    const n = gather(plan, split, idx, from, labels, k);
    plan.forward(n, false);
    const r = softmaxCrossEntropy(plan.act(plan.logits).f32, labels, n, k);
    loss += r.loss * n;
    correct += r.correct;
    from += n;
  }
  return { loss: loss / idx.length, accuracy: correct / idx.length, samples: idx.length };
}
