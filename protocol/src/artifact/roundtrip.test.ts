import { describe, expect, it } from 'vitest';
import { P } from '../constants/index.js';
import { exampleArtifactModel } from './example.js';
import { H } from './layout.js';
import { readArtifact } from './reader.js';
import { expectCode } from './test-helpers.js';
import type { ArtifactModel, ArtifactOp, ArtifactTensor } from './types.js';
import { writeArtifact } from './writer.js';

function withTensor(m: ArtifactModel, id: number, patch: Partial<ArtifactTensor>): ArtifactModel {
  return { ...m, tensors: m.tensors.map((t, i) => (i === id ? { ...t, ...patch } : t)) };
}

function withOp(m: ArtifactModel, index: number, patch: Partial<ArtifactOp>): ArtifactModel {
  return { ...m, ops: m.ops.map((o, i) => (i === index ? ({ ...o, ...patch } as ArtifactOp) : o)) };
}

describe('artifact writer/reader round trip (PROTOCOL.md §5)', () => {
  const model = exampleArtifactModel();
  const bytes = writeArtifact(model);
  const parsed = readArtifact(bytes);

  it('reads back the model it was written from', () => {
    const { ops, tensors, training, ...header } = model;
    expect(parsed).toMatchObject(header);
    expect(parsed.ops).toEqual(ops);
    expect(parsed.training).toEqual(training);
    tensors.forEach((t, i) => {
      expect(parsed.tensors[i], `tensor ${i}`).toMatchObject({ ...t, id: i });
    });
    expect(parsed.signature).toBeNull();
  });

  it('is deterministic and canonical: writing the parsed view gives the same bytes', () => {
    expect(writeArtifact(exampleArtifactModel())).toEqual(bytes);
    expect(writeArtifact(parsed)).toEqual(bytes);
  });

  it('aligns every section, data block and RAM copy to 16 bytes (§5.1)', () => {
    expect(bytes.length % P.ARTIFACT_ALIGN).toBe(0);
    expect(parsed.contentBytes).toBe(bytes.length);
    for (const s of Object.values(parsed.sections)) expect(s.offset % P.ARTIFACT_ALIGN).toBe(0);
    for (const t of parsed.tensors) {
      if (t.dataOffset !== undefined) expect((parsed.sections.DATA.offset + t.dataOffset) % 16).toBe(0);
      if (t.ramOffset !== undefined) expect(t.ramOffset % 16).toBe(0);
      if (t.data)
        expect(t.data.byteOffset - bytes.byteOffset).toBe(parsed.sections.DATA.offset + t.dataOffset!);
    }
    expect(parsed.ramBytes).toBe(208);
    expect(new DataView(bytes.buffer).getUint32(H.MAGIC, true)).toBe(P.ARTIFACT_MAGIC);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('ascii')).toBe('TTFM');
  });

  it('writes a model without training', () => {
    const plain: ArtifactModel = {
      ...model,
      arenaTrainBytes: 0,
      training: null,
      tensors: model.tensors
        .slice(0, 11)
        .map((t) => (t.storage === 'RAM_COPY' ? { ...t, storage: 'FLASH' as const, flags: [] } : t)),
    };
    const p = readArtifact(writeArtifact(plain));
    expect(p.training).toBeNull();
    expect(p.flags).toBe(0);
    expect(p.ramBytes).toBe(0);
    expect(p.sections.TRAIN).toEqual({ offset: p.sections.QPARAMS.offset + 64, bytes: 0, count: 0 });
  });

  it('honours maxAbiVersion', () => {
    expectCode(
      () => readArtifact(writeArtifact({ ...model, abiVersion: 2 }), { maxAbiVersion: 1 }),
      'INCOMPATIBLE',
    );
  });
});

describe('artifact writer refuses invalid models with ProtocolError', () => {
  const m = exampleArtifactModel();
  const cases: [string, ArtifactModel, string][] = [
    ['unknown dtype', withTensor(m, 3, { dtype: 'INT4' as never }), 'UNKNOWN_TYPE'],
    ['unknown op kind', withOp(m, 1, { kind: 'GELU' as never }), 'UNKNOWN_TYPE'],
    ['data of the wrong size', withTensor(m, 1, { data: new Uint8Array(35) }), 'BAD_FIELD'],
    ['data on an ARENA tensor', withTensor(m, 3, { data: new Uint8Array(256) }), 'BAD_FIELD'],
    ['no arena offset', withTensor(m, 3, { arenaOffset: undefined }), 'BAD_FIELD'],
    ['stride that does not fit u16', withOp(m, 0, { strideH: 70000 } as never), 'OUT_OF_RANGE'],
    ['a name of 32 bytes', { ...m, name: 'x'.repeat(32) }, 'BAD_FIELD'],
    ['rank 5', withTensor(m, 3, { shape: [1, 1, 8, 8, 4] }), 'OUT_OF_RANGE'],
    ['weight shape not matching the conv', withTensor(m, 1, { shape: [4, 3, 1, 3] }), 'MALFORMED'],
    ['arena offset past the plan', withTensor(m, 9, { arenaOffset: 576 }), 'OUT_OF_RANGE'],
    ['unaligned arena offset', withTensor(m, 9, { arenaOffset: 68 }), 'MALFORMED'],
    ['INPUT flag on a second tensor', withTensor(m, 4, { flags: ['INPUT'] }), 'BAD_FIELD'],
    ['reshape not aliasing its input', withTensor(m, 6, { arenaOffset: 96 }), 'BAD_FIELD'],
    ['clamp outside uint8', withOp(m, 4, { actMax: 256 }), 'OUT_OF_RANGE'],
    [
      'zero scale',
      withTensor(m, 3, { quant: { kind: 'PER_TENSOR', scale: 0, zeroPoint: 0 } }),
      'OUT_OF_RANGE',
    ],
    [
      'int8 zero point',
      withTensor(m, 1, {
        quant: { kind: 'PER_CHANNEL', axis: 0, scales: [1, 1, 1, 1], zeroPoints: [0, 1, 0, 0] },
      }),
      'OUT_OF_RANGE',
    ],
    [
      'per-channel count != dim',
      withTensor(m, 2, { quant: { kind: 'PER_CHANNEL', axis: 0, scales: [1, 1], zeroPoints: [0, 0] } }),
      'MALFORMED',
    ],
    ['training on a RELU', { ...m, training: { ...m.training!, trainableOps: [1, 4] } }, 'BAD_FIELD'],
    ['lambda max > 1', { ...m, training: { ...m.training!, lambdaMax: 1.5 } }, 'OUT_OF_RANGE'],
    ['op reading an unwritten tensor', withOp(m, 1, { inputs: [4], output: 3 }), 'BAD_FIELD'],
  ];
  it.each(cases)('%s', (_name, bad, code) => {
    expectCode(() => writeArtifact(bad), code as never);
  });
});
