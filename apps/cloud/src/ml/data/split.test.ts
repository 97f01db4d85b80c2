import { describe, expect, it } from 'vitest';
import { checkIndex, seededRandom, shuffle, stratifiedSplit } from './split.js';

describe('split helpers', () => {
  it('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(3);
    const b = seededRandom(3);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(shuffle([1, 2, 3, 4, 5], seededRandom(1)).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('stratifiedSplit keeps class proportions and covers every index once', () => {
    const labels = [...new Array<number>(30).fill(0), ...new Array<number>(10).fill(1), 2];
    const s = stratifiedSplit(labels, 0.2, 0);
    expect(s.test.filter((i) => labels[i] === 0)).toHaveLength(6);
    expect(s.test.filter((i) => labels[i] === 1)).toHaveLength(2);
    expect([...s.train, ...s.test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(s.train).toEqual([...s.train].sort((a, b) => a - b));
  });

  it('checkIndex throws RangeError outside [0, size)', () => {
    expect(() => checkIndex(0, 1)).not.toThrow();
    for (const bad of [-1, 1, 0.5, Number.NaN]) expect(() => checkIndex(bad, 1)).toThrow(RangeError);
  });
});
