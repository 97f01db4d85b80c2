/**
 * Model artifact writer (PROTOCOL.md §5): lays out the sections, data blocks and RAM copies,
 * serializes every field explicitly, seals the content digest, then validates its own output with
 * the reader so an invalid model is refused with the same ProtocolError a device would raise.
 */
import {
  ArtifactFlag,
  DType,
  EpsMode,
  OpKind,
  P,
  QuantKind,
  Storage,
  TensorFlag,
} from '../constants/index.js';
import { ROUNDING_MODES, UPDATE_RULES } from '../constants/table.js';
import { ProtocolError } from '../errors.js';
import { FieldWriter } from './bytes.js';
import { contentSha256 } from './hash.js';
import { align, elemBytes, H, OP, PRM, SEC, T, TR } from './layout.js';
import { readArtifact } from './reader.js';
import type { ArtifactModel, ArtifactOp, ArtifactTensor, ArtifactTraining, Padding } from './types.js';

interface Layout {
  /** [offset, bytes, count] per section, directory order (PROTOCOL.md §5.3). */
  readonly sections: readonly (readonly [number, number, number])[];
  readonly contentBytes: number;
  readonly ramBytes: number;
  readonly byteSize: readonly number[];
  readonly dataOffset: readonly (number | undefined)[];
  readonly ramOffset: readonly (number | undefined)[];
  readonly qOffset: readonly (number | undefined)[];
}

function tensorByteSize(t: ArtifactTensor, id: number): number {
  const what = `tensor ${id}`;
  if (DType[t.dtype] === undefined)
    throw new ProtocolError('UNKNOWN_TYPE', `${what}: dtype ${String(t.dtype)}`);
  if (Storage[t.storage] === undefined) {
    throw new ProtocolError('UNKNOWN_TYPE', `${what}: storage ${String(t.storage)}`);
  }
  if (!Array.isArray(t.shape) || t.shape.length > P.ARTIFACT_MAX_RANK) {
    throw new ProtocolError('OUT_OF_RANGE', `${what}: rank must be 0..${P.ARTIFACT_MAX_RANK}`);
  }
  let n = elemBytes(t.dtype);
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 1) throw new ProtocolError('OUT_OF_RANGE', `${what}: bad dimension ${d}`);
    n *= d;
  }
  if (n > 0xffffffff) throw new ProtocolError('TOO_LARGE', `${what}: ${n} bytes`);
  const hasData = t.storage !== 'ARENA';
  if (hasData !== (t.data !== undefined)) {
    throw new ProtocolError(
      'BAD_FIELD',
      `${what}: ${t.storage} tensors ${hasData ? 'need' : 'take no'} data`,
    );
  }
  if (t.data !== undefined && (!(t.data instanceof Uint8Array) || t.data.length !== n)) {
    throw new ProtocolError('BAD_FIELD', `${what}: data must be ${n} bytes`);
  }
  return n;
}

function planLayout(model: ArtifactModel): Layout {
  const byteSize = model.tensors.map(tensorByteSize);
  const dataOffset: (number | undefined)[] = [];
  const ramOffset: (number | undefined)[] = [];
  const qOffset: (number | undefined)[] = [];
  let data = 0;
  let ram = 0;
  let qwords = 0;
  model.tensors.forEach((t, i) => {
    const size = byteSize[i]!;
    // PROTOCOL.md §5.5: data blocks and RAM copies in tensor id order, each 16-aligned.
    dataOffset.push(t.storage === 'ARENA' ? undefined : data);
    if (t.storage !== 'ARENA') data += align(size);
    ramOffset.push(t.storage === 'RAM_COPY' ? ram : undefined);
    if (t.storage === 'RAM_COPY') ram += align(size);
    // PROTOCOL.md §5.5: per-channel blocks (count scales, then count zero points) in tensor id order.
    if (t.quant.kind === 'PER_CHANNEL') {
      if (t.quant.scales.length !== t.quant.zeroPoints.length) {
        throw new ProtocolError(
          'BAD_FIELD',
          `tensor ${i}: per-channel scales and zero points differ in count`,
        );
      }
      qOffset.push(qwords * 4);
      qwords += 2 * t.quant.scales.length;
    } else {
      qOffset.push(undefined);
    }
  });
  const sizes = [
    [model.ops.length * P.ARTIFACT_OP_BYTES, model.ops.length],
    [model.tensors.length * P.ARTIFACT_TENSOR_BYTES, model.tensors.length],
    [qwords * 4, qwords / 2],
    model.training
      ? [P.ARTIFACT_TRAIN_BYTES + 2 * model.training.trainableOps.length, model.training.trainableOps.length]
      : [0, 0],
    [data, dataOffset.filter((o) => o !== undefined).length],
  ] as const;
  // PROTOCOL.md §5.3: sections follow the header in directory order, each at the 16-aligned end of the last.
  let at: number = P.ARTIFACT_HEADER_BYTES;
  const sections = sizes.map(([bytes, count]) => {
    const s = [at, bytes, count] as const;
    at = align(at + bytes);
    return s;
  });
  if (at > 0xffffffff) throw new ProtocolError('TOO_LARGE', `artifact of ${at} bytes`);
  return { sections, contentBytes: at, ramBytes: ram, byteSize, dataOffset, ramOffset, qOffset };
}

function writeHeader(w: FieldWriter, m: ArtifactModel, l: Layout): void {
  // PROTOCOL.md §5.2
  w.u32(H.MAGIC, P.ARTIFACT_MAGIC, 'magic');
  w.u16(H.VERSION, P.ARTIFACT_VERSION, 'version');
  w.u16(H.HEADER_BYTES, P.ARTIFACT_HEADER_BYTES, 'header bytes');
  w.u32(H.FLAGS, m.training ? ArtifactFlag.HAS_TRAINING : 0, 'flags');
  w.u32(H.CONTENT_BYTES, l.contentBytes, 'content bytes');
  w.u32(H.MODEL_VERSION, m.modelVersion, 'model version');
  w.u16(H.ABI_VERSION, m.abiVersion, 'abi version');
  w.u16(H.INPUT, m.input, 'input tensor');
  w.u16(H.OUTPUT, m.output, 'output tensor');
  w.u32(H.ARENA_INFER, m.arenaInferBytes, 'arena inference bytes');
  w.u32(H.ARENA_TRAIN, m.arenaTrainBytes, 'arena training bytes');
  w.u32(H.RAM_BYTES, l.ramBytes, 'ram bytes');
  const name = new TextEncoder().encode(m.name);
  if (name.length >= P.ARTIFACT_NAME_BYTES || name.includes(0)) {
    throw new ProtocolError(
      'BAD_FIELD',
      `name must be at most ${P.ARTIFACT_NAME_BYTES - 1} UTF-8 bytes, no NUL`,
    );
  }
  w.raw(H.NAME, name);
  l.sections.forEach(([offset, bytes, count], i) => {
    const e = H.SECTIONS + i * SEC.ENTRY_BYTES;
    w.u32(e + SEC.OFFSET, offset, 'section offset');
    w.u32(e + SEC.BYTES, bytes, 'section bytes');
    w.u32(e + SEC.COUNT, count, 'section count');
  });
}

function writePadding(w: FieldWriter, at: number, p: Padding, what: string): void {
  w.u16(at + PRM.PAD_TOP, p.top, `${what} pad top`);
  w.u16(at + PRM.PAD_LEFT, p.left, `${what} pad left`);
  w.u16(at + PRM.PAD_BOTTOM, p.bottom, `${what} pad bottom`);
  w.u16(at + PRM.PAD_RIGHT, p.right, `${what} pad right`);
}

function writeOp(w: FieldWriter, at: number, op: ArtifactOp, index: number): void {
  // PROTOCOL.md §5.4
  const what = `op ${index}`;
  const kind = OpKind[op.kind];
  if (kind === undefined) throw new ProtocolError('UNKNOWN_TYPE', `${what}: kind ${String(op.kind)}`);
  if (op.inputs.length > P.ARTIFACT_MAX_OP_INPUTS)
    throw new ProtocolError('BAD_FIELD', `${what}: too many inputs`);
  w.u8(at + OP.KIND, kind, `${what} kind`);
  w.u8(at + OP.INPUT_COUNT, op.inputs.length, `${what} input count`);
  w.u8(at + OP.OUTPUT_COUNT, 1, `${what} output count`);
  for (let i = 0; i < P.ARTIFACT_MAX_OP_INPUTS; i++) {
    w.u16(at + OP.INPUTS + 2 * i, op.inputs[i] ?? P.ARTIFACT_NO_TENSOR, `${what} input ${i}`);
  }
  w.u16(at + OP.OUTPUT, op.output, `${what} output`);
  const p = at + OP.PARAMS;
  switch (op.kind) {
    case 'CONV2D':
    case 'DEPTHWISE_CONV2D':
    case 'CONV1D':
      w.u16(p + PRM.DILATION_H, op.dilationH, `${what} dilation h`);
      w.u16(p + PRM.DILATION_W, op.dilationW, `${what} dilation w`);
      break;
    case 'MAXPOOL2D':
    case 'AVGPOOL2D':
      w.u16(p + PRM.DILATION_H, op.windowH, `${what} window h`);
      w.u16(p + PRM.DILATION_W, op.windowW, `${what} window w`);
      break;
    case 'CONCAT':
      w.u16(p + PRM.AXIS, op.axis, `${what} axis`);
      return;
    case 'DENSE':
      break;
    default:
      return;
  }
  if (op.kind !== 'DENSE') {
    w.u16(p + PRM.STRIDE_H, op.strideH, `${what} stride h`);
    w.u16(p + PRM.STRIDE_W, op.strideW, `${what} stride w`);
    writePadding(w, p, op.padding, what);
  }
  w.i32(p + PRM.ACT_MIN, op.actMin, `${what} act min`);
  w.i32(p + PRM.ACT_MAX, op.actMax, `${what} act max`);
}

function writeTensor(w: FieldWriter, at: number, t: ArtifactTensor, id: number, l: Layout): void {
  // PROTOCOL.md §5.5
  const what = `tensor ${id}`;
  w.u16(at + T.ID, id, `${what} id`);
  w.u8(at + T.DTYPE, DType[t.dtype], `${what} dtype`);
  w.u8(at + T.STORAGE, Storage[t.storage], `${what} storage`);
  let flags = 0;
  for (const f of t.flags) {
    const bit = TensorFlag[f];
    if (bit === undefined) throw new ProtocolError('UNKNOWN_TYPE', `${what}: flag ${String(f)}`);
    flags |= bit;
  }
  w.u16(at + T.FLAGS, flags, `${what} flags`);
  w.u8(at + T.RANK, t.shape.length, `${what} rank`);
  const q = QuantKind[t.quant.kind];
  if (q === undefined) throw new ProtocolError('UNKNOWN_TYPE', `${what}: quant ${String(t.quant.kind)}`);
  w.u8(at + T.QUANT, q, `${what} quant`);
  for (const [i, d] of t.shape.entries()) w.u32(at + T.SHAPE + 4 * i, d, `${what} shape`);
  w.u32(at + T.BYTE_SIZE, l.byteSize[id]!, `${what} byte size`);
  w.u32(at + T.DATA_OFFSET, l.dataOffset[id] ?? 0, `${what} data offset`);
  const mem = t.storage === 'ARENA' ? t.arenaOffset : l.ramOffset[id];
  if (t.storage === 'ARENA' && mem === undefined)
    throw new ProtocolError('BAD_FIELD', `${what}: no arena offset`);
  w.u32(at + T.MEM_OFFSET, mem ?? 0, `${what} arena/ram offset`);
  if (t.quant.kind === 'PER_TENSOR') {
    w.f32(at + T.SCALE, t.quant.scale, `${what} scale`);
    w.i32(at + T.ZERO_POINT, t.quant.zeroPoint, `${what} zero point`);
  } else if (t.quant.kind === 'PER_CHANNEL') {
    w.u8(at + T.Q_AXIS, t.quant.axis, `${what} quant axis`);
    w.u32(at + T.Q_COUNT, t.quant.scales.length, `${what} quant count`);
    w.u32(at + T.Q_OFFSET, l.qOffset[id]!, `${what} quant offset`);
  }
  w.u16(at + T.REF, t.ref ?? P.ARTIFACT_NO_TENSOR, `${what} ref`);
}

function writeQparams(w: FieldWriter, base: number, m: ArtifactModel, l: Layout): void {
  // PROTOCOL.md §5.5: count float32 scales, then count int32 zero points.
  m.tensors.forEach((t, id) => {
    if (t.quant.kind !== 'PER_CHANNEL') return;
    const at = base + l.qOffset[id]!;
    const n = t.quant.scales.length;
    for (const [c, s] of t.quant.scales.entries()) w.f32(at + 4 * c, s, `tensor ${id} scale ${c}`);
    for (const [c, z] of t.quant.zeroPoints.entries())
      w.i32(at + 4 * (n + c), z, `tensor ${id} zero point ${c}`);
  });
}

function writeTraining(w: FieldWriter, at: number, tr: ArtifactTraining): void {
  // PROTOCOL.md §5.7
  w.f32(at + TR.LAMBDA_MIN, tr.lambdaMin, 'lambda min');
  w.f32(at + TR.LAMBDA_MAX, tr.lambdaMax, 'lambda max');
  w.f32(at + TR.LEARNING_RATE, tr.learningRate, 'learning rate');
  w.f32(at + TR.EMA_ACTIVATIONS, tr.emaActivations, 'ema activations');
  w.f32(at + TR.EMA_ERRORS, tr.emaErrors, 'ema errors');
  w.f32(at + TR.EMA_WEIGHTS, tr.emaWeights, 'ema weights');
  w.u16(at + TR.BATCH_SIZE, tr.batchSize, 'batch size');
  const eps = EpsMode[tr.epsMode];
  if (eps === undefined) throw new ProtocolError('UNKNOWN_TYPE', `eps mode ${String(tr.epsMode)}`);
  w.u8(at + TR.EPS_MODE, eps, 'eps mode');
  // §6.6.10: bytes 27, 28; 29..31 stay zero
  const update = UPDATE_RULES.find((e) => e.name === (tr.update ?? 'STANDARDIZED'));
  if (update === undefined) throw new ProtocolError('UNKNOWN_TYPE', `update rule ${String(tr.update)}`);
  w.u8(at + TR.UPDATE, update.value, 'update rule');
  const rounding = ROUNDING_MODES.find((e) => e.name === (tr.rounding ?? 'NEAREST'));
  if (rounding === undefined) throw new ProtocolError('UNKNOWN_TYPE', `rounding ${String(tr.rounding)}`);
  w.u8(at + TR.ROUNDING, rounding.value, 'rounding');
  for (const [i, op] of tr.trainableOps.entries())
    w.u16(at + TR.OP_INDICES + 2 * i, op, 'trainable op index');
}

/** Serializes a model into an unsigned artifact (PROTOCOL.md §5); throws ProtocolError if invalid. */
export function writeArtifact(model: ArtifactModel): Uint8Array {
  const l = planLayout(model);
  const out = new Uint8Array(l.contentBytes);
  const w = new FieldWriter(out);
  writeHeader(w, model, l);
  const [ops = 0, tensors = 0, qparams = 0, train = 0, data = 0] = l.sections.map(([offset]) => offset);
  for (const [i, op] of model.ops.entries()) writeOp(w, ops + i * P.ARTIFACT_OP_BYTES, op, i);
  for (const [i, t] of model.tensors.entries())
    writeTensor(w, tensors + i * P.ARTIFACT_TENSOR_BYTES, t, i, l);
  writeQparams(w, qparams, model, l);
  if (model.training) writeTraining(w, train, model.training);
  model.tensors.forEach((t, i) => {
    if (t.data) w.raw(data + l.dataOffset[i]!, t.data);
  });
  out.set(contentSha256(out, l.contentBytes), H.SHA256); // PROTOCOL.md §5.8
  readArtifact(out);
  return out;
}
