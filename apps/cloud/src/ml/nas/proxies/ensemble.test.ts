import { describe, expect, it } from 'vitest';
import { ensembleScores, kendallTau, ranks } from './ensemble.js';

describe('rank aggregation', () => {
  it('ranks with averaged ties and NaN last', () => {
    expect(ranks([3, 1, 2])).toEqual([2, 0, 1]);
    expect(ranks([1, 5, 5, Number.NaN])).toEqual([1, 2.5, 2.5, 0]);
  });

  it('averages normalised ranks over proxies (Borda)', () => {
    const pop = [
      { synflow: 10, naswot: 1 },
      { synflow: 20, naswot: 3 },
      { synflow: 30, naswot: 2 },
    ];
    expect(ensembleScores(pop, ['synflow', 'naswot'])).toEqual([0, 0.75, 0.75]);
    expect(ensembleScores(pop, ['synflow'])).toEqual([0, 0.5, 1]);
  });

  it('weights members: weight 3 on synflow, 1 on naswot', () => {
    const pop = [
      { synflow: 10, naswot: 1 },
      { synflow: 20, naswot: 3 },
      { synflow: 30, naswot: 2 },
    ];
    // synflow ranks 0, 0.5, 1; naswot 0, 1, 0.5
    expect(ensembleScores(pop, ['synflow', 'naswot'], [3, 1])).toEqual([0, 2.5 / 4, 3.5 / 4]);
    expect(ensembleScores(pop, ['synflow', 'naswot'], [1, 0])).toEqual([0, 0.5, 1]);
  });
});

describe('Kendall tau', () => {
  it('is 1, -1 and tau-b on hand-computed cases', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // pairs: (1,2) C, (1,3) C, (2,3) D -> (2 - 1) / 3
    expect(kendallTau([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 12);
    // tie in x: pairs (1,2) tie-x, (1,3) C, (2,3) C: (2 - 0) / sqrt(3 * 2)
    expect(kendallTau([1, 1, 2], [1, 2, 3])).toBeCloseTo(2 / Math.sqrt(6), 12);
    expect(kendallTau([1, 1], [1, 2])).toBeNaN();
  });
});
