/**
 * Pareto-front helpers of the MOBO loop: exact hypervolume in any dimension (HSO slicing down to the
 * exact 2-D sweep of nas/search/hypervolume.ts) and k-means to place the ARS policies' starts.
 */
import type { Rng } from '../../tensor/rng.js';
import { hypervolume2d } from '../search/hypervolume.js';
import { paretoFront } from '../search/pareto.js';
import { squaredDistance } from './gp.js';

/**
 * Hypervolume dominated by `points` (minimised) inside the box bounded by `ref`. Slices along the last
 * objective: between consecutive values of it, the dominated region is the (d-1)-D hypervolume of the
 * points below. Exponential in d, fine for the 4 objectives and tens of points here.
 */
export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const d = ref.length;
  const inside = points.filter((p) => p.every((v, i) => v < ref[i]!));
  if (inside.length === 0) return 0;
  if (d === 1) return ref[0]! - Math.min(...inside.map((p) => p[0]!));
  if (d === 2)
    return hypervolume2d(
      inside.map((p) => [p[0]!, p[1]!] as const),
      [ref[0]!, ref[1]!],
    );
  const front = paretoFront(inside).map((i) => inside[i]!);
  front.sort((a, b) => a[d - 1]! - b[d - 1]!);
  const sub = ref.slice(0, d - 1);
  let hv = 0;
  for (let i = 0; i < front.length; i++) {
    const top = i + 1 < front.length ? front[i + 1]![d - 1]! : ref[d - 1]!;
    const depth = top - front[i]![d - 1]!;
    if (depth <= 0) continue;
    hv +=
      depth *
      hypervolume(
        front.slice(0, i + 1).map((p) => p.slice(0, d - 1)),
        sub,
      );
  }
  return hv;
}

/** k-means (k-means++ seeding, Lloyd iterations) of `points`; returns min(k, n) centres. */
export function kMeans(
  rng: Rng,
  points: readonly (readonly number[])[],
  k: number,
  iterations = 10,
): number[][] {
  const n = points.length;
  if (n === 0 || k <= 0) return [];
  const centres: number[][] = [[...points[rng.int(n)]!]];
  while (centres.length < Math.min(k, n)) {
    const w = points.map((p) => Math.min(...centres.map((c) => squaredDistance(p, c))));
    const total = w.reduce((a, b) => a + b, 0);
    if (total === 0) break;
    let r = rng.next() * total;
    let pick = 0;
    while (pick < n - 1 && r >= w[pick]!) r -= w[pick++]!;
    centres.push([...points[pick]!]);
  }
  for (let it = 0; it < iterations; it++) {
    const sums = centres.map((c) => new Array<number>(c.length).fill(0));
    const counts = new Array<number>(centres.length).fill(0);
    for (const p of points) {
      let best = 0;
      for (let j = 1; j < centres.length; j++)
        if (squaredDistance(p, centres[j]!) < squaredDistance(p, centres[best]!)) best = j;
      counts[best]!++;
      p.forEach((v, i) => {
        sums[best]![i]! += v;
      });
    }
    centres.forEach((c, j) => {
      if (counts[j]! > 0) for (let i = 0; i < c.length; i++) c[i] = sums[j]![i]! / counts[j]!;
    });
  }
  return centres;
}
