/** Op list decoding: kinds, arity, tensor roles, per-kind params, execution order (PROTOCOL.md §5.4). */
import { type OpKindName, opKindName, P } from '../constants/index.js';
import { check, type FieldReader } from './bytes.js';
import { checkOpShapes } from './check-shapes.js';
import { dtypeRange, OP, PRM } from './layout.js';
import type { ArtifactOp, Padding, ParsedTensor, SectionInfo } from './types.js';

/** Allowed input counts per kind (PROTOCOL.md §5.4 table 5.4.2). */
const ARITY: Readonly<Record<OpKindName, readonly [number, number]>> = {
  CONV2D: [2, 3],
  DEPTHWISE_CONV2D: [2, 3],
  CONV1D: [2, 3],
  DENSE: [2, 3],
  RELU: [1, 1],
  RELU6: [1, 1],
  MAXPOOL2D: [1, 1],
  AVGPOOL2D: [1, 1],
  GLOBAL_AVGPOOL: [1, 1],
  ADD: [2, 2],
  CONCAT: [2, P.ARTIFACT_MAX_OP_INPUTS],
  RESHAPE: [1, 1],
  SOFTMAX: [1, 1],
};

export function isWeighted(kind: OpKindName): kind is 'CONV2D' | 'DEPTHWISE_CONV2D' | 'CONV1D' | 'DENSE' {
  return kind === 'CONV2D' || kind === 'DEPTHWISE_CONV2D' || kind === 'CONV1D' || kind === 'DENSE';
}

function readPadding(r: FieldReader, p: number): Padding {
  return {
    top: r.u16(p + PRM.PAD_TOP),
    left: r.u16(p + PRM.PAD_LEFT),
    bottom: r.u16(p + PRM.PAD_BOTTOM),
    right: r.u16(p + PRM.PAD_RIGHT),
  };
}

/** Decodes the 32-byte params block; every byte a kind does not use must be zero. */
function readParams(
  r: FieldReader,
  p: number,
  kind: OpKindName,
  inputs: number[],
  output: number,
  what: string,
) {
  const clamp = () => ({ actMin: r.i32(p + PRM.ACT_MIN), actMax: r.i32(p + PRM.ACT_MAX) });
  const positive = (v: number, name: string) => {
    check(v >= 1, 'OUT_OF_RANGE', `${what}: ${name} must be >= 1`);
    return v;
  };
  let used = 0;
  let op: ArtifactOp;
  switch (kind) {
    case 'CONV2D':
    case 'DEPTHWISE_CONV2D':
    case 'CONV1D':
      op = {
        kind,
        inputs,
        output,
        strideH: positive(r.u16(p + PRM.STRIDE_H), 'stride h'),
        strideW: positive(r.u16(p + PRM.STRIDE_W), 'stride w'),
        dilationH: positive(r.u16(p + PRM.DILATION_H), 'dilation h'),
        dilationW: positive(r.u16(p + PRM.DILATION_W), 'dilation w'),
        padding: readPadding(r, p),
        ...clamp(),
      };
      used = 24;
      break;
    case 'MAXPOOL2D':
    case 'AVGPOOL2D':
      op = {
        kind,
        inputs,
        output,
        strideH: positive(r.u16(p + PRM.STRIDE_H), 'stride h'),
        strideW: positive(r.u16(p + PRM.STRIDE_W), 'stride w'),
        windowH: positive(r.u16(p + PRM.DILATION_H), 'window h'),
        windowW: positive(r.u16(p + PRM.DILATION_W), 'window w'),
        padding: readPadding(r, p),
        ...clamp(),
      };
      used = 24;
      break;
    case 'DENSE':
      check(r.zero(p, p + PRM.ACT_MIN), 'BAD_FIELD', `${what}: unused params not zero`);
      op = { kind, inputs, output, ...clamp() };
      used = 24;
      break;
    case 'CONCAT':
      op = { kind, inputs, output, axis: r.u16(p + PRM.AXIS) };
      used = 2;
      break;
    default:
      op = { kind, inputs, output };
  }
  check(r.zero(p + used, p + OP.PARAMS_BYTES), 'BAD_FIELD', `${what}: unused params not zero`);
  return op;
}

function checkClamp(op: ArtifactOp, y: ParsedTensor, what: string): void {
  if (!('actMin' in op)) return;
  check(op.actMin <= op.actMax, 'OUT_OF_RANGE', `${what}: act min > act max`);
  const range = y.dtype === 'FLOAT32' ? undefined : dtypeRange(y.dtype);
  if (range) {
    check(
      op.actMin >= range[0] && op.actMax <= range[1],
      'OUT_OF_RANGE',
      `${what}: clamp outside ${y.dtype}`,
    );
  }
}

/** Reads the op list and checks it against the tensor table (PROTOCOL.md §5.4, §5.10). */
export function readOps(
  r: FieldReader,
  sec: SectionInfo,
  tensors: readonly ParsedTensor[],
  input: number,
  output: number,
): ArtifactOp[] {
  const ops: ArtifactOp[] = [];
  const ready = new Set<number>([input]);
  for (const t of tensors) if (t.storage !== 'ARENA') ready.add(t.id);
  const trainOnly = (t: ParsedTensor) => t.flags.includes('ERROR') || t.flags.includes('SAVED');

  for (let i = 0; i < sec.count; i++) {
    const at = sec.offset + i * P.ARTIFACT_OP_BYTES;
    const what = `op ${i}`;
    const kind = opKindName.get(r.u8(at + OP.KIND));
    check(kind !== undefined, 'UNKNOWN_TYPE', `${what}: unknown op kind ${r.u8(at + OP.KIND)}`);
    const n = r.u8(at + OP.INPUT_COUNT);
    const [lo, hi] = ARITY[kind];
    check(n >= lo && n <= hi, 'BAD_FIELD', `${what}: ${kind} takes ${lo}..${hi} inputs, not ${n}`);
    check(r.u8(at + OP.OUTPUT_COUNT) === 1, 'BAD_FIELD', `${what}: output count must be 1`);
    check(r.u8(at + OP.RESERVED0) === 0 && r.u16(at + OP.RESERVED1) === 0, 'BAD_FIELD', `${what}: reserved`);
    const inputs: number[] = [];
    for (let k = 0; k < P.ARTIFACT_MAX_OP_INPUTS; k++) {
      const id = r.u16(at + OP.INPUTS + 2 * k);
      if (k >= n) {
        check(id === P.ARTIFACT_NO_TENSOR, 'BAD_FIELD', `${what}: unused input slot ${k} not 0xFFFF`);
        continue;
      }
      check(id < tensors.length, 'OUT_OF_RANGE', `${what}: input tensor ${id} out of range`);
      inputs.push(id);
    }
    const out = r.u16(at + OP.OUTPUT);
    check(out < tensors.length, 'OUT_OF_RANGE', `${what}: output tensor ${out} out of range`);

    // Tensor roles and dataflow order: weights and biases are constants, activations come from the
    // model input or an earlier op, every activation is written exactly once.
    inputs.forEach((id, k) => {
      const t = tensors[id]!;
      if (isWeighted(kind) && k >= 1) {
        check(
          t.storage !== 'ARENA',
          'BAD_FIELD',
          `${what}: weight/bias tensor ${id} must be FLASH or RAM_COPY`,
        );
      } else {
        check(
          t.storage === 'ARENA' && !trainOnly(t),
          'BAD_FIELD',
          `${what}: input ${id} must be an activation`,
        );
        check(ready.has(id), 'BAD_FIELD', `${what}: reads tensor ${id} before any op writes it`);
      }
    });
    const y = tensors[out]!;
    check(
      y.storage === 'ARENA' && !trainOnly(y),
      'BAD_FIELD',
      `${what}: output ${out} must be an activation`,
    );
    check(!ready.has(out), 'BAD_FIELD', `${what}: tensor ${out} is written twice`);
    ready.add(out);

    const op = readParams(r, at + OP.PARAMS, kind, inputs, out, what);
    checkClamp(op, y, what);
    checkOpShapes(op, tensors, what);
    ops.push(op);
  }
  check(ready.has(output), 'BAD_FIELD', `output tensor ${output} is never written`);
  return ops;
}
