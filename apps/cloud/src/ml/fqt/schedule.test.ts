import { describe, expect, it } from 'vitest';
import { scheduledLr } from './experiment.js';

describe('learning-rate schedule of the FQT experiment', () => {
  it('cosine starts at the base rate, halves midway and ends near 0 (floor 1e-3 x base)', () => {
    expect(scheduledLr(0.02, 'cosine', 0, 1000)).toBeCloseTo(0.02, 12);
    expect(scheduledLr(0.02, 'cosine', 500, 1000)).toBeCloseTo(0.01, 12);
    expect(scheduledLr(0.02, 'cosine', 999, 1000)).toBeCloseTo(0.02 * 1e-3, 9);
    for (let i = 1; i < 1000; i++)
      expect(scheduledLr(0.02, 'cosine', i, 1000)).toBeLessThanOrEqual(
        scheduledLr(0.02, 'cosine', i - 1, 1000),
      );
  });

  it('constant keeps the base rate', () => {
    expect(scheduledLr(0.02, 'constant', 0, 10)).toBe(0.02);
    expect(scheduledLr(0.02, 'constant', 9, 10)).toBe(0.02);
  });
});
