/** Tensor table, per-channel qparams, data blocks and memory plan checks (PROTOCOL.md §5.5, §5.6). */
import {
  type DTypeName,
  dtypeName,
  P,
  quantKindName,
  storageName,
  TensorFlag,
  type TensorFlagName,
} from '../constants/index.js';
import { TENSOR_FLAGS } from '../constants/table.js';
import { check, type FieldReader } from './bytes.js';
import { align, dtypeRange, elemBytes, T } from './layout.js';
import type { ArtifactQuant, ParsedArtifact, ParsedTensor } from './types.js';

export interface TensorHeader {
  readonly input: number;
  readonly output: number;
  readonly arenaInferBytes: number;
  readonly arenaTrainBytes: number;
  readonly ramBytes: number;
  readonly hasTraining: boolean;
}

const FLAG_MASK = TENSOR_FLAGS.reduce((m, f) => m | f.value, 0);
const TRAIN_ONLY = TensorFlag.ERROR | TensorFlag.SAVED;

/** Running offsets of the canonical QPARAMS, DATA and RAM layouts (PROTOCOL.md §5.5). */
interface Cursors {
  q: number;
  data: number;
  dataBlocks: number;
  ram: number;
}

function flagNames(bits: number): TensorFlagName[] {
  return TENSOR_FLAGS.filter((f) => (bits & f.value) !== 0).map((f) => f.name);
}

function checkZeroPoint(zp: number, dtype: DTypeName, range: readonly [number, number], what: string): void {
  check(zp >= range[0] && zp <= range[1], 'OUT_OF_RANGE', `${what}: zero point ${zp} out of range`);
  check(dtype === 'UINT8' || zp === 0, 'OUT_OF_RANGE', `${what}: ${dtype} zero point must be 0`);
}

function checkScale(s: number, what: string): void {
  check(Number.isFinite(s) && s > 0, 'OUT_OF_RANGE', `${what}: scale ${s} is not finite and positive`);
}

function readQuant(
  r: FieldReader,
  at: number,
  t: { dtype: DTypeName; shape: number[]; what: string },
  qSection: { offset: number; bytes: number },
  cur: Cursors,
): { quant: ArtifactQuant; qOffset?: number } {
  const kind = quantKindName.get(r.u8(at + T.QUANT));
  check(kind !== undefined, 'UNKNOWN_TYPE', `${t.what}: unknown quantization kind ${r.u8(at + T.QUANT)}`);
  const range = dtypeRange(t.dtype);
  const perTensorZero = r.zero(at + T.SCALE, at + T.ZERO_POINT + 4);
  const perChannelZero = r.u8(at + T.Q_AXIS) === 0 && r.zero(at + T.Q_COUNT, at + T.Q_OFFSET + 4);
  if (kind === 'NONE') {
    check(
      t.dtype === 'FLOAT32' || t.dtype === 'INT32',
      'BAD_FIELD',
      `${t.what}: ${t.dtype} must be quantized`,
    );
    check(perTensorZero && perChannelZero, 'BAD_FIELD', `${t.what}: unused quantization fields not zero`);
    return { quant: { kind } };
  }
  check(range !== undefined, 'BAD_FIELD', `${t.what}: FLOAT32 tensors are not quantized`);
  if (kind === 'PER_TENSOR') {
    check(perChannelZero, 'BAD_FIELD', `${t.what}: per-channel fields not zero`);
    const scale = r.f32(at + T.SCALE);
    const zeroPoint = r.i32(at + T.ZERO_POINT);
    checkScale(scale, t.what);
    checkZeroPoint(zeroPoint, t.dtype, range, t.what);
    return { quant: { kind, scale, zeroPoint } };
  }
  check(perTensorZero, 'BAD_FIELD', `${t.what}: per-tensor fields not zero`);
  const axis = r.u8(at + T.Q_AXIS);
  const count = r.u32(at + T.Q_COUNT);
  const qOffset = r.u32(at + T.Q_OFFSET);
  check(axis < t.shape.length, 'OUT_OF_RANGE', `${t.what}: quantization axis ${axis} >= rank`);
  check(
    count === t.shape[axis],
    'MALFORMED',
    `${t.what}: ${count} channel qparams for dimension ${t.shape[axis]}`,
  );
  check(qOffset === cur.q, 'MALFORMED', `${t.what}: qparams at ${qOffset}, expected ${cur.q}`);
  check(qOffset + 8 * count <= qSection.bytes, 'MALFORMED', `${t.what}: qparams past the QPARAMS section`);
  const base = qSection.offset + qOffset;
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  for (let c = 0; c < count; c++) {
    const s = r.f32(base + 4 * c);
    const z = r.i32(base + 4 * (count + c));
    checkScale(s, `${t.what} channel ${c}`);
    checkZeroPoint(z, t.dtype, range, `${t.what} channel ${c}`);
    scales.push(s);
    zeroPoints.push(z);
  }
  cur.q += 8 * count;
  return { quant: { kind, axis, scales, zeroPoints }, qOffset };
}

function readTensor(
  r: FieldReader,
  id: number,
  s: ParsedArtifact['sections'],
  h: TensorHeader,
  cur: Cursors,
): ParsedTensor {
  const at = s.TENSORS.offset + id * P.ARTIFACT_TENSOR_BYTES;
  const what = `tensor ${id}`;
  check(r.u16(at + T.ID) === id, 'MALFORMED', `${what}: record id ${r.u16(at + T.ID)}`);
  const dtype = dtypeName.get(r.u8(at + T.DTYPE));
  check(dtype !== undefined, 'UNKNOWN_TYPE', `${what}: unknown dtype ${r.u8(at + T.DTYPE)}`);
  const storage = storageName.get(r.u8(at + T.STORAGE));
  check(storage !== undefined, 'UNKNOWN_TYPE', `${what}: unknown storage ${r.u8(at + T.STORAGE)}`);
  const bits = r.u16(at + T.FLAGS);
  check((bits & ~FLAG_MASK) === 0, 'BAD_FIELD', `${what}: unknown flags 0x${bits.toString(16)}`);
  const flags = flagNames(bits);
  const rank = r.u8(at + T.RANK);
  check(rank <= P.ARTIFACT_MAX_RANK, 'OUT_OF_RANGE', `${what}: rank ${rank}`);
  const shape: number[] = [];
  let elems = 1;
  for (let i = 0; i < P.ARTIFACT_MAX_RANK; i++) {
    const d = r.u32(at + T.SHAPE + 4 * i);
    if (i < rank) {
      check(d >= 1, 'OUT_OF_RANGE', `${what}: dimension ${i} is 0`);
      shape.push(d);
      elems *= d;
    } else {
      check(d === 0, 'BAD_FIELD', `${what}: unused dimension ${i} not zero`);
    }
  }
  const byteSize = r.u32(at + T.BYTE_SIZE);
  check(
    byteSize === elems * elemBytes(dtype),
    'MALFORMED',
    `${what}: byte size ${byteSize} != shape x dtype`,
  );
  check(
    r.u8(at + T.RESERVED0) === 0 && r.zero(at + T.RESERVED1, at + 64),
    'BAD_FIELD',
    `${what}: reserved not zero`,
  );

  // Flags against storage (PROTOCOL.md §5.5 table 5.5.3).
  const has = (f: TensorFlagName) => flags.includes(f);
  const trainOnly = has('ERROR') || has('SAVED');
  check(has('TRAINABLE') === (storage === 'RAM_COPY'), 'BAD_FIELD', `${what}: TRAINABLE iff RAM_COPY`);
  check(
    h.hasTraining || !(has('TRAINABLE') || trainOnly),
    'BAD_FIELD',
    `${what}: training flag without training`,
  );
  if (trainOnly) {
    check(storage === 'ARENA', 'BAD_FIELD', `${what}: ERROR/SAVED tensors live in the arena`);
    check(
      (bits & ~TRAIN_ONLY) === 0 && bits !== TRAIN_ONLY,
      'BAD_FIELD',
      `${what}: ERROR/SAVED combined with other flags`,
    );
  }
  const ref = r.u16(at + T.REF);
  check(trainOnly === (ref !== P.ARTIFACT_NO_TENSOR), 'BAD_FIELD', `${what}: ref set iff ERROR or SAVED`);
  check(!trainOnly || ref < s.TENSORS.count, 'OUT_OF_RANGE', `${what}: ref ${ref} out of range`);
  check(has('INPUT') === (id === h.input), 'BAD_FIELD', `${what}: INPUT flag must mark the header input`);
  check(has('OUTPUT') === (id === h.output), 'BAD_FIELD', `${what}: OUTPUT flag must mark the header output`);

  const { quant, qOffset } = readQuant(r, at, { dtype, shape, what }, s.QPARAMS, cur);

  const base: ParsedTensor = {
    id,
    dtype,
    storage,
    flags,
    shape,
    quant,
    byteSize,
    ...(qOffset === undefined ? {} : { qOffset }),
    ...(trainOnly ? { ref } : {}),
  };
  return place(r, at, base, s, h, cur);
}

/** Placement of one tensor: arena offset, or data block and RAM copy (PROTOCOL.md §5.5.2, §5.6). */
function place(
  r: FieldReader,
  at: number,
  t: ParsedTensor,
  s: ParsedArtifact['sections'],
  h: TensorHeader,
  cur: Cursors,
): ParsedTensor {
  const what = `tensor ${t.id}`;
  const dataOffset = r.u32(at + T.DATA_OFFSET);
  const memOffset = r.u32(at + T.MEM_OFFSET);
  const size = t.byteSize;
  if (t.storage === 'ARENA') {
    check(dataOffset === 0, 'BAD_FIELD', `${what}: ARENA tensor with a data offset`);
    check(memOffset % P.ARTIFACT_ALIGN === 0, 'MALFORMED', `${what}: arena offset ${memOffset} not aligned`);
    const limit = t.ref === undefined ? h.arenaInferBytes : h.arenaTrainBytes;
    check(memOffset + size <= limit, 'OUT_OF_RANGE', `${what}: arena [${memOffset}, +${size}) past ${limit}`);
    return { ...t, arenaOffset: memOffset };
  }
  check(dataOffset === cur.data, 'MALFORMED', `${what}: data at ${dataOffset}, expected ${cur.data}`);
  check(dataOffset + align(size) <= s.DATA.bytes, 'MALFORMED', `${what}: data past the DATA section`);
  const dataAt = s.DATA.offset + dataOffset;
  check(r.zero(dataAt + size, dataAt + align(size)), 'BAD_FIELD', `${what}: data padding not zero`);
  const data = r.bytes.subarray(dataAt, dataAt + size);
  cur.data += align(size);
  cur.dataBlocks++;
  if (t.storage === 'FLASH') {
    check(memOffset === 0, 'BAD_FIELD', `${what}: FLASH tensor with a memory offset`);
    return { ...t, data, dataOffset };
  }
  check(memOffset === cur.ram, 'MALFORMED', `${what}: RAM copy at ${memOffset}, expected ${cur.ram}`);
  cur.ram += align(size);
  check(cur.ram <= h.ramBytes, 'OUT_OF_RANGE', `${what}: RAM copy past ${h.ramBytes} RAM bytes`);
  return { ...t, data, dataOffset, ramOffset: memOffset };
}

/** Reads and checks every tensor record plus the layouts they imply. */
export function readTensors(r: FieldReader, s: ParsedArtifact['sections'], h: TensorHeader): ParsedTensor[] {
  const cur: Cursors = { q: 0, data: 0, dataBlocks: 0, ram: 0 };
  const tensors: ParsedTensor[] = [];
  check(h.input < s.TENSORS.count, 'OUT_OF_RANGE', `input tensor ${h.input} out of range`);
  check(h.output < s.TENSORS.count, 'OUT_OF_RANGE', `output tensor ${h.output} out of range`);
  check(h.input !== h.output, 'BAD_FIELD', 'input and output are the same tensor');
  for (let id = 0; id < s.TENSORS.count; id++) tensors.push(readTensor(r, id, s, h, cur));
  check(cur.q === s.QPARAMS.bytes, 'MALFORMED', 'QPARAMS section has unreferenced bytes');
  check(
    cur.data === s.DATA.bytes && cur.dataBlocks === s.DATA.count,
    'MALFORMED',
    'DATA section does not match the tensor table',
  );
  check(cur.ram === h.ramBytes, 'MALFORMED', `RAM size ${h.ramBytes}, RAM copies need ${cur.ram}`);

  for (const t of tensors) {
    if (t.ref === undefined) continue;
    const what = `tensor ${t.id}`;
    const f = tensors[t.ref]!;
    check(
      f.storage === 'ARENA' && !f.flags.includes('ERROR') && !f.flags.includes('SAVED'),
      'BAD_FIELD',
      `${what}: ref ${t.ref} is not a forward activation`,
    );
    const sameShape = f.shape.length === t.shape.length && f.shape.every((d, i) => d === t.shape[i]);
    check(sameShape, 'MALFORMED', `${what}: shape differs from its ref ${t.ref}`);
    const dtypeOk = t.flags.includes('SAVED')
      ? t.dtype === f.dtype
      : t.dtype === 'UINT8' || t.dtype === 'INT8';
    check(dtypeOk, 'BAD_FIELD', `${what}: dtype ${t.dtype} not allowed for its ref ${t.ref}`);
  }
  for (const id of [h.input, h.output]) {
    check(tensors[id]!.storage === 'ARENA', 'BAD_FIELD', `tensor ${id}: model input/output must be ARENA`);
  }
  return tensors;
}
