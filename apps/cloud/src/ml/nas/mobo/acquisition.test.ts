import { describe, expect, it } from 'vitest';
import { Rng } from '../../tensor/rng.js';
import { chebyshev, chebyshevEi, expectedImprovement, normCdf, randomWeights } from './acquisition.js';

describe('expected improvement', () => {
  it('matches the closed form computed by hand', () => {
    expect(normCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normCdf(-1)).toBeCloseTo(0.1586553, 6);
    // mu 0.5, sigma 0.2, best 0.4: z = -0.5, EI = -0.1 Phi(-0.5) + 0.2 phi(-0.5)
    expect(expectedImprovement(0.5, 0.2, 0.4)).toBeCloseTo(0.0395593115, 6);
    // no uncertainty: the plain improvement
    expect(expectedImprovement(0.3, 0, 0.4)).toBeCloseTo(0.1, 12);
    expect(expectedImprovement(0.5, 0, 0.4)).toBe(0);
  });
});

describe('Chebyshev scalarisation', () => {
  it('is the weighted max plus rho times the weighted sum', () => {
    // w*f = [0.08, 0.15, 0.02, 0.03]: max 0.15, sum 0.28
    expect(chebyshev([0.2, 0.5, 0.1, 0.3], [0.4, 0.3, 0.2, 0.1], 0.05)).toBeCloseTo(0.15 + 0.05 * 0.28, 12);
    expect(chebyshev([0.2, 0.5], [1, 0], 0)).toBeCloseTo(0.2, 12);
  });

  it('its expected improvement with an uncertain first objective matches Monte Carlo', () => {
    const rng = new Rng(5);
    const cases = [
      { mu: 0.3, sigma: 0.1, rest: [0.2, 0.4, 0.1], w: [0.25, 0.25, 0.25, 0.25], best: 0.11 },
      { mu: 0.1, sigma: 0.05, rest: [0.6, 0.2, 0.2], w: [0.7, 0.1, 0.1, 0.1], best: 0.08 },
      { mu: 0.5, sigma: 0.3, rest: [0.05, 0.05, 0.05], w: [0.1, 0.3, 0.3, 0.3], best: 0.06 },
    ];
    for (const c of cases) {
      let sum = 0;
      const n = 200_000;
      for (let i = 0; i < n; i++) {
        const f0 = c.mu + c.sigma * rng.normal();
        sum += Math.max(0, c.best - chebyshev([f0, ...c.rest], c.w, 0.05));
      }
      const exact = chebyshevEi(c.mu, c.sigma, c.rest, c.w, 0.05, c.best);
      expect(exact).toBeGreaterThan(0);
      expect(Math.abs(exact - sum / n)).toBeLessThan(0.03 * exact + 2e-5);
    }
    // a point whose exact objectives alone are worse than the best cannot improve
    expect(chebyshevEi(0, 0.1, [0.9, 0.9, 0.9], [0.25, 0.25, 0.25, 0.25], 0.05, 0.1)).toBe(0);
  });

  it('draws weights on the simplex', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) {
      const w = randomWeights(rng, 4);
      expect(w.every((v) => v >= 0)).toBe(true);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
});
