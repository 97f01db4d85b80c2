import { describe, expect, it } from 'vitest';
import { axisTaps, resizeToFloat } from './resize.js';

describe('resize', () => {
  it('taps sum to one when shrinking and enlarging', () => {
    for (const [src, dst] of [
      [10, 3],
      [7, 7],
      [3, 10],
      [960, 128],
    ] as const) {
      for (const t of axisTaps(src, dst)) {
        expect(t.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(t.start + t.weights.length).toBeLessThanOrEqual(src);
      }
    }
  });

  it('averages 2x2 blocks when halving, keeps a constant image constant, keeps only the first channels', () => {
    const src = Uint8Array.of(0, 9, 10, 9, 20, 9, 30, 9, 40, 9, 50, 9, 60, 9, 70, 9); // 4x2, stride 2
    expect([...resizeToFloat(src, 4, 2, 2, 1, 2, 1, 1)]).toEqual([
      (0 + 10 + 40 + 50) / 4,
      (20 + 30 + 60 + 70) / 4,
    ]);
    const flat = new Uint8Array(5 * 3 * 4).fill(51);
    const up = resizeToFloat(flat, 5, 3, 4, 3, 8, 8, 1 / 255);
    expect(up).toHaveLength(8 * 8 * 3);
    expect(up.every((v) => Math.abs(v - 0.2) < 1e-6)).toBe(true);
  });
});
