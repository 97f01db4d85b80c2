import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { BlockBitmap, blockCount, blockLength, blockOffset, objectIdOf, sliceBlock } from './blocks.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

describe('block math (PROTOCOL.md §2.7)', () => {
  it('counts and sizes blocks', () => {
    expect(blockCount(1)).toBe(1);
    expect(blockCount(P.OTA_BLOCK_BYTES)).toBe(1);
    expect(blockCount(P.OTA_BLOCK_BYTES + 1)).toBe(2);
    expect(blockLength(P.OTA_BLOCK_BYTES + 1, 0)).toBe(P.OTA_BLOCK_BYTES);
    expect(blockLength(P.OTA_BLOCK_BYTES + 1, 1)).toBe(1);
    expect(blockOffset(3)).toBe(3 * P.OTA_BLOCK_BYTES);
    expect(blockCount(P.BLOCK_MAX_OBJECT_BYTES)).toBe(P.BLOCK_MAX_OBJECT_BYTES / P.OTA_BLOCK_BYTES);
  });

  it('rejects impossible sizes and indices', () => {
    expect(codeOf(() => blockCount(0))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => blockCount(1.5))).toBe('BAD_FIELD');
    expect(codeOf(() => blockCount(P.BLOCK_MAX_OBJECT_BYTES + 1))).toBe('TOO_LARGE');
    expect(codeOf(() => blockCount(100, 0))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => blockCount(100, P.OTA_BLOCK_BYTES + 1))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => blockLength(100, 1, 100))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => blockLength(100, -1, 10))).toBe('OUT_OF_RANGE');
  });

  it('slices an object into blocks that concatenate back to it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000, size: 'medium' }),
        fc.integer({ min: 1, max: 64 }),
        (obj, bs) => {
          const n = blockCount(obj.length, bs);
          const parts = Array.from({ length: n }, (_, i) => sliceBlock(obj, i, bs));
          expect(parts.every((p, i) => p.length === blockLength(obj.length, i, bs))).toBe(true);
          expect(parts.slice(0, -1).every((p) => p.length === bs)).toBe(true);
          expect(Buffer.concat(parts).equals(Buffer.from(obj))).toBe(true);
        },
      ),
    );
  });

  it('names objects by lowercase sha256 hex', () => {
    expect(objectIdOf(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('BlockBitmap (PROTOCOL.md §2.7)', () => {
  it('lays bits out least significant first', () => {
    const m = BlockBitmap.fromIndices(12, [0, 9, 11]);
    expect([...m.toBytes()]).toEqual([0x01, 0x0a]);
    expect(BlockBitmap.byteLength(0)).toBe(0);
    expect(BlockBitmap.byteLength(8)).toBe(1);
    expect(BlockBitmap.byteLength(9)).toBe(2);
  });

  const case_ = fc
    .integer({ min: 0, max: 300 })
    .chain((count) =>
      fc.tuple(
        fc.constant(count),
        count === 0 ? fc.constant([]) : fc.array(fc.nat(count - 1), { maxLength: 400, size: 'medium' }),
      ),
    );

  it('behaves like a set of indices', () => {
    fc.assert(
      fc.property(case_, ([count, indices]) => {
        const m = new BlockBitmap(count);
        const ref = new Set<number>();
        for (const i of indices) {
          expect(m.set(i)).toBe(!ref.has(i));
          ref.add(i);
        }
        expect(m.setCount).toBe(ref.size);
        expect(m.missingCount).toBe(count - ref.size);
        expect(m.complete).toBe(ref.size === count);
        const all = Array.from({ length: count }, (_, i) => i);
        expect(all.every((i) => m.has(i) === ref.has(i))).toBe(true);
        expect([...m.missing()]).toEqual(all.filter((i) => !ref.has(i)));
        expect([...m.present()]).toEqual(all.filter((i) => ref.has(i)));
        expect(m.nextMissing(5)).toEqual(all.filter((i) => !ref.has(i)).slice(0, 5));
        const odd = (i: number): boolean => i % 2 === 1;
        expect(m.nextMissing(3, odd)).toEqual(all.filter((i) => !ref.has(i) && !odd(i)).slice(0, 3));
        const first = indices[0];
        if (first !== undefined) {
          expect(m.clear(first)).toBe(true);
          expect(m.clear(first)).toBe(false);
          expect(m.has(first)).toBe(false);
          expect(m.setCount).toBe(ref.size - 1);
        }
      }),
    );
  });

  it('serializes and parses back to the same bitmap', () => {
    fc.assert(
      fc.property(case_, ([count, indices]) => {
        const m = BlockBitmap.fromIndices(count, indices);
        const bytes = m.toBytes();
        expect(bytes.length).toBe(Math.ceil(count / 8));
        const back = BlockBitmap.fromBytes(bytes, count);
        expect([...back.present()]).toEqual([...m.present()]);
        expect(back.setCount).toBe(m.setCount);
        expect(m.clone().toBytes()).toEqual(bytes);
      }),
    );
  });

  it('parses with length and spare-bit validation', () => {
    expect(codeOf(() => BlockBitmap.fromBytes(new Uint8Array(1), 9))).toBe('TRUNCATED');
    expect(codeOf(() => BlockBitmap.fromBytes(new Uint8Array(3), 9))).toBe('TOO_LARGE');
    expect(codeOf(() => BlockBitmap.fromBytes(new Uint8Array([0, 0x02]), 9))).toBe('BAD_FIELD');
    expect(codeOf(() => BlockBitmap.fromBytes(new Uint8Array([0xff, 0x01]), 9))).toBeUndefined();
    expect(codeOf(() => BlockBitmap.fromBytes(new Uint8Array([0xff]), 8))).toBeUndefined();
    expect(codeOf(() => new BlockBitmap(-1))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => new BlockBitmap(4).has(4))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => new BlockBitmap(4).set(1.5))).toBe('BAD_FIELD');
  });

  it('rejects any bytes with a bit past the last block', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.uint8Array({ minLength: 13, maxLength: 13 }),
        (count, raw) => {
          const bytes = raw.subarray(0, Math.ceil(count / 8));
          const last = bytes[bytes.length - 1] ?? 0;
          const spare = count % 8 === 0 ? 0 : last >> (count % 8);
          expect(codeOf(() => BlockBitmap.fromBytes(bytes, count))).toBe(
            spare === 0 ? undefined : 'BAD_FIELD',
          );
        },
      ),
    );
  });
});
