import { describe, expect, it } from 'vitest';
import { cholesky, fitGp, solveLower, solveUpper } from './gp.js';

const f = (x: number): number => Math.sin(6 * x) + 0.5 * x;
const xs = [0, 0.2, 0.4, 0.6, 0.8, 1];

describe('Cholesky', () => {
  it('factors a known SPD matrix and solves with it', () => {
    // [[4, 2], [2, 3]] = L L^T with L = [[2, 0], [1, sqrt(2)]]
    const ch = cholesky(Float64Array.from([4, 2, 2, 3]), 2)!;
    expect(ch.jitter).toBe(0);
    expect([...ch.l].map((v) => Number(v.toFixed(12)))).toEqual([2, 0, 1, Number(Math.SQRT2.toFixed(12))]);
    // A x = [8, 7] -> x = [1.25, 1.5]
    const x = solveUpper(ch.l, 2, solveLower(ch.l, 2, [8, 7]));
    expect(x[0]).toBeCloseTo(1.25, 12);
    expect(x[1]).toBeCloseTo(1.5, 12);
  });

  it('adds jitter to a singular matrix (duplicate points) and rejects an indefinite one', () => {
    const ch = cholesky(Float64Array.from([1, 1, 1, 1]), 2);
    expect(ch).not.toBeNull();
    expect(ch!.jitter).toBeGreaterThan(0);
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });
});

describe('GP posterior', () => {
  for (const kernel of ['matern52', 'rbf'] as const)
    it(`${kernel}: interpolates a noiseless 1-D function, variance ~0 at the data and growing away`, () => {
      const gp = fitGp(
        xs.map((x) => [x]),
        xs.map(f),
        { kernel },
      );
      expect(gp.hyper.noiseRatio).toBeLessThanOrEqual(1e-4); // ML-II finds the data noiseless
      for (const x of xs) {
        const p = gp.predict([x]);
        expect(p.mean).toBeCloseTo(f(x), 3);
        expect(p.variance).toBeLessThan(1e-3);
      }
      const between = gp.predict([0.1]);
      const near = gp.predict([1.2]);
      const far = gp.predict([3]);
      expect(between.variance).toBeGreaterThan(gp.predict([0.2]).variance);
      expect(near.variance).toBeGreaterThan(between.variance);
      expect(far.variance).toBeGreaterThan(near.variance);
      // between data points the mean is a sensible interpolation
      expect(Math.abs(between.mean - f(0.1))).toBeLessThan(0.15);
      // far away it reverts to the data mean
      const mean = xs.map(f).reduce((a, b) => a + b, 0) / xs.length;
      expect(far.mean).toBeCloseTo(mean, 1);
    });

  it('picks a larger noise ratio for noisy data than for clean data', () => {
    const noisy = xs.flatMap((x, i) =>
      [x, x + 0.001].map((v, j) => ({ v, y: f(v) + (j === 0 ? 0.3 : -0.3) * (i % 2 ? 1 : -1) })),
    );
    const gp = fitGp(
      noisy.map((p) => [p.v]),
      noisy.map((p) => p.y),
    );
    expect(gp.hyper.noiseRatio).toBeGreaterThan(1e-3);
  });
});
