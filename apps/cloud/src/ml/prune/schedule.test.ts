import { describe, expect, it } from 'vitest';
import { PruneError } from './errors.js';
import { agpSparsity, sparsitySchedule } from './schedule.js';

describe('AGP schedule', () => {
  it('follows s_t = s_f + (s_i - s_f)(1 - t/n)^3', () => {
    for (const [t, n, sf, si] of [
      [0, 5, 0.9, 0],
      [1, 5, 0.9, 0],
      [3, 5, 0.9, 0.1],
      [5, 5, 0.9, 0],
      [2, 10, 0.5, 0.2],
    ] as const) {
      expect(agpSparsity(t, n, sf, si)).toBeCloseTo(sf + (si - sf) * (1 - t / n) ** 3, 12);
    }
    expect(sparsitySchedule('agp', 0.9, 5).map((s) => Number(s.toFixed(4)))).toEqual([
      0.4392, 0.7056, 0.8424, 0.8928, 0.9,
    ]);
  });

  it('rises monotonically to the final sparsity; one-shot is one step', () => {
    const s = sparsitySchedule('agp', 0.8, 7);
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
    expect(s.at(-1)).toBe(0.8);
    expect(sparsitySchedule('one-shot', 0.8, 7)).toEqual([0.8]);
  });

  it('rejects impossible arguments', () => {
    expect(() => agpSparsity(6, 5, 0.9)).toThrow(PruneError);
    expect(() => sparsitySchedule('agp', 1, 5)).toThrow(PruneError);
  });
});
