import { describe, expect, it } from 'vitest';
import type { Rng } from '../../tensor/rng.js';
import { hypervolume2d, hypervolumeSubset, type Point2 } from './hypervolume.js';
import { nsga2 } from './nsga2.js';
import { crowdingDistance, dominates, nonDominatedSort, paretoFront } from './pareto.js';
import { HV_REFERENCE } from './run.js';

describe('Pareto utilities', () => {
  it('sorts into fronts, with infeasible points after feasible ones', () => {
    const pts = [
      [1, 5],
      [2, 2],
      [5, 1],
      [3, 3],
      [6, 6],
    ];
    expect(dominates([1, 1], [1, 2])).toBe(true);
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(nonDominatedSort(pts)).toEqual([[0, 1, 2], [3], [4]]);
    expect(nonDominatedSort(pts, [0, 0.5, 0, 0, 0])).toEqual([[0, 2, 3], [4], [1]]);
    const cd = crowdingDistance(pts, [0, 1, 2]);
    expect(cd.get(0)).toBe(Number.POSITIVE_INFINITY);
    expect(cd.get(1)).toBeCloseTo(4 / 4 + 4 / 4, 12);
    expect(paretoFront([...pts, [2, 2]])).toEqual([0, 1, 2]);
  });
});

describe('hypervolume', () => {
  it('matches hand-computed areas', () => {
    expect(hypervolume2d([[1, 1]], [3, 3])).toBe(4);
    // staircase: (1,3) (2,2) (3,1) vs ref (4,4): 1*1 + 1*2 + 1*3 ... = 3 + 2*... computed by columns
    expect(
      hypervolume2d(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
    ).toBe(1 * 1 + 1 * 2 + 1 * 3);
    // dominated and outside points add nothing
    expect(
      hypervolume2d(
        [
          [1, 3],
          [2, 2],
          [3, 1],
          [3, 3],
          [5, 0],
        ],
        [4, 4],
      ),
    ).toBe(6);
    expect(hypervolume2d([], [1, 1])).toBe(0);
  });

  it('subset selection returns the max-HV k-subset (checked by brute force)', () => {
    const pts: Point2[] = [
      [0.05, 0.95],
      [0.1, 0.6],
      [0.2, 0.5],
      [0.3, 0.45],
      [0.5, 0.2],
      [0.55, 0.18],
      [0.8, 0.05],
      [0.6, 0.6],
    ];
    const ref: Point2 = [1, 1];
    for (const k of [1, 2, 3, 4]) {
      let best = -1;
      const n = pts.length;
      for (let mask = 0; mask < 1 << n; mask++) {
        let bits = 0;
        for (let i = 0; i < n; i++) if (mask & (1 << i)) bits++;
        if (bits !== k) continue;
        best = Math.max(
          best,
          hypervolume2d(
            pts.filter((_, i) => mask & (1 << i)),
            ref,
          ),
        );
      }
      const got = hypervolumeSubset(pts, k, ref);
      expect(got.indices).toHaveLength(k);
      expect(got.hypervolume).toBeCloseTo(best, 12);
      expect(
        hypervolume2d(
          got.indices.map((i) => pts[i]!),
          ref,
        ),
      ).toBeCloseTo(best, 12);
    }
  });
});

describe('subset selection with the reference point of run.ts', () => {
  it('keeps both extremes of a front whose ends lie on the unit box (it would not with (1, 1))', () => {
    const line: Point2[] = Array.from({ length: 11 }, (_, i) => [i / 10, 1 - i / 10]);
    const got = hypervolumeSubset(line, 5, HV_REFERENCE).indices.sort((a, b) => a - b);
    expect(got[0]).toBe(0);
    expect(got.at(-1)).toBe(10);
    const unit = hypervolumeSubset(line, 5, [1, 1]).indices;
    expect(unit).not.toContain(0);
    expect(unit).not.toContain(10);
  });
});

describe('NSGA-II', () => {
  it('recovers the true front of a discrete 2-objective toy problem', async () => {
    // x, y in 0..9, minimise (x, 9 - x + y): the front is y = 0 for every x (10 points)
    type P = readonly [number, number];
    const clamp = (v: number): number => Math.max(0, Math.min(9, v));
    const res = await nsga2<P, P>(
      {
        random: (rng: Rng) => [rng.int(10), rng.int(10)],
        mutate: (rng, [x, y]) =>
          rng.next() < 0.5
            ? [clamp(x + (rng.next() < 0.5 ? -1 : 1)), y]
            : [x, clamp(y + (rng.next() < 0.5 ? -1 : 1))],
        crossover: (rng, a, b) => [rng.next() < 0.5 ? a[0] : b[0], rng.next() < 0.5 ? a[1] : b[1]],
        key: ([x, y]) => `${x},${y}`,
        evaluate: (ps) => ps,
        objectives: (ps) => ({ objectives: ps.map(([x, y]) => [x, 9 - x + y]), violation: ps.map(() => 0) }),
      },
      { populationSize: 20, budget: 100, seed: 3 },
    );
    const front = res.population.filter((i) => i.x[1] === 0).map((i) => i.x[0]);
    expect(new Set(front)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(res.archive.length).toBeLessThanOrEqual(100);
  });

  it('recovers the Schaffer front (x in [0, 2]) under a constraint that cuts it', async () => {
    // minimise (x^2, (x - 2)^2) over x in {-5.0, -4.9, ..., 5.0} subject to x <= 1.5
    const grid = (i: number): number => Math.round(i) / 10 - 5;
    const res = await nsga2<number, number>(
      {
        random: (rng) => rng.int(101),
        mutate: (rng, i) => Math.max(0, Math.min(100, i + rng.int(7) - 3)),
        crossover: (rng, a, b) => Math.round(a + rng.next() * (b - a)),
        key: (i) => String(i),
        evaluate: (is) => is.map(grid),
        objectives: (xs) => ({
          objectives: xs.map((x) => [x * x, (x - 2) ** 2]),
          violation: xs.map((x) => Math.max(0, x - 1.5)),
        }),
      },
      { populationSize: 16, budget: 90, seed: 1 },
    );
    const xs = res.population.map((i) => i.eval);
    for (const x of xs) expect(x >= -1e-9 && x <= 1.5 + 1e-9).toBe(true);
    expect(Math.min(...xs)).toBeCloseTo(0, 9);
    expect(Math.max(...xs)).toBeCloseTo(1.5, 9);
  });
});
