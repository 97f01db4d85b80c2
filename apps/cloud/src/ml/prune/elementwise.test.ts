import { describe, expect, it } from 'vitest';
import { refCnn } from '../zoo/ref-cnn.js';
import { countNonzero, countParams } from './count.js';
import { applyMasks, magnitudeMasks } from './elementwise.js';
import { PruneError } from './errors.js';
import { randomize } from './test-models.js';

describe('element-wise magnitude masks', () => {
  const g = randomize(refCnn({ seed: 4 })); // non-zero biases: every parameter starts non-zero
  const p0 = countParams(g);

  for (const scope of ['per-layer', 'global'] as const) {
    it(`${scope}: zeroes the requested fraction of all parameters, shapes unchanged`, () => {
      const masked = applyMasks(g, magnitudeMasks(g, 0.8, scope));
      expect(countParams(masked)).toBe(p0);
      expect(Math.abs(p0 - countNonzero(masked) - 0.8 * p0)).toBeLessThanOrEqual(3);
      for (const key of Object.keys(g.params))
        expect(masked.params[key]!.shape).toEqual(g.params[key]!.shape);
    });
  }

  it('removes the smallest magnitudes first', () => {
    const masks = magnitudeMasks(g, 0.5, 'per-layer');
    const w = g.params['fc.weight']!.data;
    const m = masks.get('fc.weight')!;
    let maxPruned = 0;
    let minKept = Number.POSITIVE_INFINITY;
    for (let i = 0; i < w.length; i++) {
      if (m[i]) minKept = Math.min(minKept, Math.abs(w[i]!));
      else maxPruned = Math.max(maxPruned, Math.abs(w[i]!));
    }
    expect(maxPruned).toBeLessThanOrEqual(minKept);
  });

  it('keeps a weight in every tensor and rejects a sparsity of 1', () => {
    const masks = magnitudeMasks(g, 0.999, 'global');
    for (const m of masks.values()) expect(m.some((v) => v === 1)).toBe(true);
    expect(() => magnitudeMasks(g, 1, 'global')).toThrow(PruneError);
  });
});
