import { updatedStructures } from '@tinyfleet/protocol/messages';
import { describe, expect, it } from 'vitest';
import { dequantF32, emaRange, f32, qparamsF32, quantizeF32, topK } from './numerics.js';

describe('top-k and k (PROTOCOL.md §4.4.1, §6.6.8)', () => {
  it('ranks by magnitude, ties to the lower index, returns ascending indices', () => {
    expect([...topK([5, 9, 9, 1, 7], 2)]).toEqual([1, 2]);
    expect([...topK([3, 3, 3, 3], 2)]).toEqual([0, 1]);
    expect([...topK([0, 0, 4, 0], 1)]).toEqual([2]);
    expect([...topK([1, 2], 5)]).toEqual([0, 1]);
  });
  it('k is at least 1 and at most N, across lambda bounds and eps 0 / 1', () => {
    expect(updatedStructures(32, 0.1, 0.1, 0)).toBe(3);
    expect(updatedStructures(10, 0.1, 0.1, 0)).toBe(1);
    expect(updatedStructures(5, 0.1, 0.1, 0)).toBe(1); // floor(0.5) = 0 -> 1
    expect(updatedStructures(10, 0, 0, 1)).toBe(1);
    expect(updatedStructures(32, 0.1, 1, 0)).toBe(3);
    expect(updatedStructures(32, 0.1, 1, 1)).toBe(32);
    expect(updatedStructures(32, 1, 1, 0.3)).toBe(32);
    expect(updatedStructures(32, 0.5, 1, 0.5)).toBe(24);
  });
});

describe('binary32 ranges (PROTOCOL.md §6.6.7)', () => {
  it('qparams contain 0 and map the range ends inside one step', () => {
    const q = qparamsF32({ lo: -0.3, hi: 0.7 });
    expect(q.scale).toBe(f32(f32(f32(0.7) - f32(-0.3)) / 255));
    expect(dequantF32(q.zeroPoint, q)).toBe(0);
    expect(Math.abs(dequantF32(quantizeF32(0.7, q), q) - 0.7)).toBeLessThanOrEqual(q.scale / 2 + 1e-9);
    const pos = qparamsF32({ lo: 0.2, hi: 0.5 });
    expect(pos.zeroPoint).toBe(0);
  });
  it('EMA: rate 0 keeps, 1 takes the observation, else mixes in binary32', () => {
    const r = { lo: -1, hi: 1 };
    expect(emaRange(r, { lo: -2, hi: 4 }, 0)).toEqual(r);
    expect(emaRange(r, { lo: -2, hi: 4 }, 1)).toEqual({ lo: -2, hi: 4 });
    const m = emaRange(r, { lo: -2, hi: 4 }, 0.25);
    expect(m.hi).toBe(f32(f32(f32(0.75) * 1) + f32(0.25 * 4)));
  });
});
