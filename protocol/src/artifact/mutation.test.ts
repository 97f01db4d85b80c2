import { describe, expect, it } from 'vitest';
import { P } from '../constants/index.js';
import { exampleArtifactModel } from './example.js';
import { H, OP, SEC, T, TR } from './layout.js';
import { readArtifact } from './reader.js';
import { edited, expectCode, protocolError } from './test-helpers.js';
import { writeArtifact } from './writer.js';

const bytes = writeArtifact(exampleArtifactModel());
const parsed = readArtifact(bytes);
const S = parsed.sections;
const op = (i: number, field: number) => S.OPS.offset + i * P.ARTIFACT_OP_BYTES + field;
const tensor = (i: number, field: number) => S.TENSORS.offset + i * P.ARTIFACT_TENSOR_BYTES + field;
const sec = (i: number, field: number) => H.SECTIONS + i * SEC.ENTRY_BYTES + field;

/** Byte ranges whose every change a reader must reject, even with the digest resealed. */
function structuralRanges(): [number, number, string][] {
  const r: [number, number, string][] = [
    [H.MAGIC, H.MODEL_VERSION, 'magic/version/header size/flags/content size'],
    [H.INPUT, H.ARENA_INFER, 'input/output/reserved'],
    [H.RAM_BYTES, H.NAME, 'ram bytes/reserved'],
    [H.SECTIONS, P.ARTIFACT_HEADER_BYTES, 'section directory'],
  ];
  for (let i = 0; i < S.OPS.count; i++) r.push([op(i, 0), op(i, OP.PARAMS), `op ${i} kind/arity/tensor ids`]);
  for (let i = 0; i < S.TENSORS.count; i++) {
    r.push([
      tensor(i, T.ID),
      tensor(i, T.MEM_OFFSET),
      `tensor ${i} id/dtype/storage/flags/rank/shape/size/data`,
    ]);
    r.push([tensor(i, T.Q_AXIS), tensor(i, 64), `tensor ${i} axis/ref/qparams location/reserved`]);
  }
  r.push([S.TRAIN.offset + TR.EPS_MODE, S.TRAIN.offset + TR.UPDATE, 'training eps']);
  // bytes 27, 28 (update rule, rounding): another valid value is a different, canonical artifact
  r.push([S.TRAIN.offset + TR.RESERVED, S.TRAIN.offset + S.TRAIN.bytes, 'training reserved/op indices']);
  // Padding between sections and after data blocks.
  for (const s of Object.values(S))
    r.push([s.offset + s.bytes, Math.ceil((s.offset + s.bytes) / 16) * 16, 'pad']);
  return r;
}

describe('artifact mutations (PROTOCOL.md §5.8, §5.10)', () => {
  it('rejects every single-byte change of the content (digest not resealed)', () => {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.slice();
      b[i]! ^= 0xff;
      const e = protocolError(() => readArtifact(b));
      expect(['SHA_MISMATCH', 'MALFORMED', 'UNSUPPORTED_VERSION', 'TRUNCATED'], `byte ${i}`).toContain(
        e.code,
      );
    }
  });

  it('with the digest resealed, never crashes, rejects structural changes, and accepts only canonical bytes', () => {
    const structural = structuralRanges();
    const mustReject = (i: number) => structural.find(([a, b]) => i >= a && i < b);
    let rejected = 0;
    let accepted = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (i >= H.SHA256 && i < H.SHA256 + 32) continue; // the digest itself is what resealing rewrites
      for (const x of [0x01, 0x80, 0xff]) {
        const b = edited(bytes, (v) => v.setUint8(i, v.getUint8(i) ^ x));
        let p: ReturnType<typeof readArtifact> | undefined;
        try {
          p = readArtifact(b);
        } catch (e) {
          expect(e, `byte ${i} ^ ${x}`).toBeInstanceOf(Error);
          expect((e as Error).name, `byte ${i} ^ ${x}: ${String(e)}`).toBe('ProtocolError');
          expect((e as Error).cause, `byte ${i} ^ ${x}: unchecked read`).not.toBeInstanceOf(RangeError);
          rejected++;
          continue;
        }
        const field = mustReject(i);
        expect(field, `byte ${i} ^ 0x${x.toString(16)} in ${field?.[2]} was accepted`).toBeUndefined();
        // Whatever a reader accepts is canonical: writing the parsed view reproduces it exactly.
        expect(Buffer.from(writeArtifact(p)).equals(b), `byte ${i} ^ ${x} not canonical`).toBe(true);
        accepted++;
      }
    }
    expect(rejected).toBeGreaterThan(accepted);
  });

  it('truncation at every length gives TRUNCATED or MALFORMED', () => {
    for (let n = 0; n < bytes.length; n++) {
      const e = protocolError(() => readArtifact(bytes.subarray(0, n)));
      expect(['TRUNCATED', 'MALFORMED'], `length ${n}: ${e.message}`).toContain(e.code);
    }
    expectCode(() => readArtifact(new Uint8Array([...bytes, 0])), 'TRUNCATED');
    expectCode(() => readArtifact(new Uint8Array([...bytes, ...new Uint8Array(81)])), 'MALFORMED');
  });
});

describe('structural checks with the digest resealed (PROTOCOL.md §5.10)', () => {
  const u8 = (off: number, val: number) => (v: DataView) => v.setUint8(off, val);
  const u16 = (off: number, val: number) => (v: DataView) => v.setUint16(off, val, true);
  const u32 = (off: number, val: number) => (v: DataView) => v.setUint32(off, val, true);
  const f32 = (off: number, val: number) => (v: DataView) => v.setFloat32(off, val, true);
  const cases: [string, (v: DataView) => void, string][] = [
    ['format version 2', u16(H.VERSION, 2), 'UNSUPPORTED_VERSION'],
    ['bad magic', u8(H.MAGIC, 0), 'MALFORMED'],
    ['content size past the end', u32(H.CONTENT_BYTES, bytes.length + 16), 'TRUNCATED'],
    ['unknown header flag', u32(H.FLAGS, 0x81), 'BAD_FIELD'],
    ['ABI version 0', u16(H.ABI_VERSION, 0), 'OUT_OF_RANGE'],
    ['input tensor out of range', u16(H.INPUT, 200), 'OUT_OF_RANGE'],
    ['section moved', u32(sec(1, SEC.OFFSET), S.TENSORS.offset + 16), 'MALFORMED'],
    ['tensor count beyond the section', u32(sec(1, SEC.COUNT), 0xffffff), 'MALFORMED'],
    ['data section larger than the content', u32(sec(4, SEC.BYTES), 0xfffffff0), 'MALFORMED'],
    ['ram size off', u32(H.RAM_BYTES, parsed.ramBytes + 16), 'MALFORMED'],
    ['arena smaller than a tensor needs', u32(H.ARENA_INFER, 320), 'OUT_OF_RANGE'],
    ['unknown op kind', u8(op(1, OP.KIND), 99), 'UNKNOWN_TYPE'],
    ['conv with one input', u8(op(0, OP.INPUT_COUNT), 1), 'BAD_FIELD'],
    ['op input out of range', u16(op(0, OP.INPUTS), 300), 'OUT_OF_RANGE'],
    ['op output out of range', u16(op(5, OP.OUTPUT), 13), 'OUT_OF_RANGE'],
    ['stride 0', u16(op(0, OP.PARAMS), 0), 'OUT_OF_RANGE'],
    ['stride 2 breaks the output shape', u16(op(0, OP.PARAMS), 2), 'MALFORMED'],
    ['unused params byte', u8(op(1, OP.PARAMS + 5), 1), 'BAD_FIELD'],
    ['unknown dtype', u8(tensor(3, T.DTYPE), 9), 'UNKNOWN_TYPE'],
    ['unknown storage', u8(tensor(3, T.STORAGE), 7), 'UNKNOWN_TYPE'],
    ['unknown quant kind', u8(tensor(3, T.QUANT), 3), 'UNKNOWN_TYPE'],
    ['rank 5', u8(tensor(3, T.RANK), 5), 'OUT_OF_RANGE'],
    ['shape not matching byte size', u32(tensor(3, T.SHAPE + 4), 9), 'MALFORMED'],
    ['arena offset past the plan', u32(tensor(9, T.MEM_OFFSET), 4096), 'OUT_OF_RANGE'],
    ['arena offset not aligned', u32(tensor(9, T.MEM_OFFSET), 72), 'MALFORMED'],
    ['data offset not canonical', u32(tensor(2, T.DATA_OFFSET), 64), 'MALFORMED'],
    ['per-channel count', u32(tensor(1, T.Q_COUNT), 3), 'MALFORMED'],
    ['per-channel axis', u8(tensor(1, T.Q_AXIS), 4), 'OUT_OF_RANGE'],
    ['NaN scale', f32(tensor(3, T.SCALE), Number.NaN), 'OUT_OF_RANGE'],
    ['uint8 zero point 256', u32(tensor(3, T.ZERO_POINT), 256), 'OUT_OF_RANGE'],
    ['negative per-channel scale', f32(S.QPARAMS.offset, -1), 'OUT_OF_RANGE'],
    ['ref out of range', u16(tensor(11, T.REF), 40), 'OUT_OF_RANGE'],
    ['unknown tensor flag', u16(tensor(3, T.FLAGS), 0x40), 'BAD_FIELD'],
    ['lambda min > lambda max', f32(S.TRAIN.offset + TR.LAMBDA_MAX, 0.05), 'OUT_OF_RANGE'],
    ['learning rate 0', f32(S.TRAIN.offset + TR.LEARNING_RATE, 0), 'OUT_OF_RANGE'],
    ['unknown eps mode', u8(S.TRAIN.offset + TR.EPS_MODE, 9), 'UNKNOWN_TYPE'],
    ['unknown update rule', u8(S.TRAIN.offset + TR.UPDATE, 3), 'UNKNOWN_TYPE'],
    ['unknown rounding', u8(S.TRAIN.offset + TR.ROUNDING, 2), 'UNKNOWN_TYPE'],
    ['training reserved byte', u8(S.TRAIN.offset + TR.RESERVED + 2, 1), 'BAD_FIELD'],
    ['trainable op out of range', u16(S.TRAIN.offset + TR.OP_INDICES, 6), 'OUT_OF_RANGE'],
    ['name not UTF-8', u8(H.NAME, 0xc3), 'BAD_FIELD'],
  ];
  it.each(cases)('%s', (_name, edit, code) => {
    expectCode(() => readArtifact(edited(bytes, edit)), code as never);
  });
});
