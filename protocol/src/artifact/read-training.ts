/** Training defaults record and trainable op list (PROTOCOL.md §5.7). */
import { epsModeName } from '../constants/index.js';
import { ROUNDING_MODES, UPDATE_RULES } from '../constants/table.js';
import { check, type FieldReader } from './bytes.js';
import { TR } from './layout.js';
import { isWeighted } from './read-ops.js';
import type { ArtifactOp, ArtifactTraining, ParsedTensor, SectionInfo } from './types.js';

function unit(v: number, what: string): number {
  check(Number.isFinite(v) && v >= 0 && v <= 1, 'OUT_OF_RANGE', `training: ${what} ${v} not in [0, 1]`);
  return v;
}

export function readTraining(
  r: FieldReader,
  sec: SectionInfo,
  ops: readonly ArtifactOp[],
  tensors: readonly ParsedTensor[],
): ArtifactTraining {
  const at = sec.offset;
  const lambdaMin = unit(r.f32(at + TR.LAMBDA_MIN), 'lambda min');
  const lambdaMax = unit(r.f32(at + TR.LAMBDA_MAX), 'lambda max');
  check(lambdaMin <= lambdaMax, 'OUT_OF_RANGE', 'training: lambda min > lambda max');
  const learningRate = r.f32(at + TR.LEARNING_RATE);
  check(Number.isFinite(learningRate) && learningRate > 0, 'OUT_OF_RANGE', 'training: learning rate');
  const emaActivations = unit(r.f32(at + TR.EMA_ACTIVATIONS), 'ema activations');
  const emaErrors = unit(r.f32(at + TR.EMA_ERRORS), 'ema errors');
  const emaWeights = unit(r.f32(at + TR.EMA_WEIGHTS), 'ema weights');
  const batchSize = r.u16(at + TR.BATCH_SIZE);
  check(batchSize >= 1, 'OUT_OF_RANGE', 'training: batch size 0');
  const epsMode = epsModeName.get(r.u8(at + TR.EPS_MODE));
  check(epsMode !== undefined, 'UNKNOWN_TYPE', `training: unknown eps mode ${r.u8(at + TR.EPS_MODE)}`);
  // §6.6.10: update rule and rounding; bytes 29..31 reserved zero
  const update = UPDATE_RULES.find((e) => e.value === r.u8(at + TR.UPDATE))?.name;
  check(update !== undefined, 'UNKNOWN_TYPE', `training: unknown update rule ${r.u8(at + TR.UPDATE)}`);
  const rounding = ROUNDING_MODES.find((e) => e.value === r.u8(at + TR.ROUNDING))?.name;
  check(rounding !== undefined, 'UNKNOWN_TYPE', `training: unknown rounding ${r.u8(at + TR.ROUNDING)}`);
  for (let i = TR.RESERVED; i < TR.OP_INDICES; i++)
    check(r.u8(at + i) === 0, 'BAD_FIELD', 'training: reserved');

  // Trainable ops: ascending, weighted, and their weights are the TRAINABLE tensors (PROTOCOL.md §5.7).
  const trainableOps: number[] = [];
  const owned = new Set<number>();
  for (let i = 0; i < sec.count; i++) {
    const index = r.u16(at + TR.OP_INDICES + 2 * i);
    check(index < ops.length, 'OUT_OF_RANGE', `training: op index ${index} out of range`);
    check(i === 0 || index > trainableOps[i - 1]!, 'BAD_FIELD', 'training: op indices not ascending');
    const op = ops[index]!;
    check(isWeighted(op.kind), 'BAD_FIELD', `training: op ${index} (${op.kind}) has no weights`);
    const w = op.inputs[1]!;
    check(tensors[w]!.flags.includes('TRAINABLE'), 'BAD_FIELD', `training: op ${index} weight not TRAINABLE`);
    owned.add(w);
    if (op.inputs[2] !== undefined) owned.add(op.inputs[2]);
    trainableOps.push(index);
  }
  for (const t of tensors) {
    if (t.flags.includes('TRAINABLE')) {
      check(
        owned.has(t.id),
        'BAD_FIELD',
        `tensor ${t.id}: TRAINABLE but not a weight/bias of a trainable op`,
      );
    }
  }
  return {
    trainableOps,
    lambdaMin,
    lambdaMax,
    learningRate,
    batchSize,
    epsMode,
    emaActivations,
    emaErrors,
    emaWeights,
    update,
    rounding,
  };
}
