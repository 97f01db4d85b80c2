/**
 * Exact 2-D hypervolume (both objectives minimised, w.r.t. a reference point) and hypervolume subset
 * selection: the k points of a set whose dominated hypervolume is largest. In 2-D this is solved
 * exactly by dynamic programming over the front sorted by the first objective (O(n^2 k)).
 */
import { paretoFront } from './pareto.js';

export type Point2 = readonly [number, number];

/** Area dominated by `points` and bounded by `ref` (points not strictly better than ref add nothing). */
export function hypervolume2d(points: readonly Point2[], ref: Point2): number {
  const inside = points.filter((p) => p[0] < ref[0] && p[1] < ref[1]);
  const front = paretoFront(inside).map((i) => inside[i]!);
  front.sort((a, b) => a[0] - b[0]);
  let hv = 0;
  for (let i = 0; i < front.length; i++) {
    const xNext = i + 1 < front.length ? front[i + 1]![0] : ref[0];
    hv += (xNext - front[i]![0]) * (ref[1] - front[i]![1]);
  }
  return hv;
}

/**
 * Indices (into `points`) of the k-subset with maximal hypervolume, and that hypervolume.
 * Exact: only non-dominated points inside the reference box can contribute, and on the sorted front
 * HV(chosen) = sum over chosen p of (x(next chosen) - x(p)) * (ref_y - y(p)).
 */
export function hypervolumeSubset(
  points: readonly Point2[],
  k: number,
  ref: Point2,
): { indices: number[]; hypervolume: number } {
  const cand = paretoFront(points).filter((i) => points[i]![0] < ref[0] && points[i]![1] < ref[1]);
  cand.sort((a, b) => points[a]![0] - points[b]![0]);
  const m = cand.length;
  if (k >= m)
    return {
      indices: cand,
      hypervolume: hypervolume2d(
        cand.map((i) => points[i]!),
        ref,
      ),
    };
  if (k <= 0) return { indices: [], hypervolume: 0 };
  const x = (j: number): number => points[cand[j]!]![0];
  const h = (j: number): number => ref[1] - points[cand[j]!]![1];
  // best[c][j]: max HV of c points with j the leftmost chosen; next[c][j]: the following choice
  const best: number[][] = [];
  const next: number[][] = [];
  best[1] = Array.from({ length: m }, (_, j) => (ref[0] - x(j)) * h(j));
  next[1] = new Array<number>(m).fill(-1);
  for (let c = 2; c <= k; c++) {
    best[c] = new Array<number>(m).fill(Number.NEGATIVE_INFINITY);
    next[c] = new Array<number>(m).fill(-1);
    for (let j = 0; j < m; j++)
      for (let l = j + 1; l < m; l++) {
        const prev = best[c - 1]![l]!;
        if (prev === Number.NEGATIVE_INFINITY) continue;
        const v = (x(l) - x(j)) * h(j) + prev;
        if (v > best[c]![j]!) {
          best[c]![j] = v;
          next[c]![j] = l;
        }
      }
  }
  let start = 0;
  for (let j = 1; j < m; j++) if (best[k]![j]! > best[k]![start]!) start = j;
  const indices: number[] = [];
  for (let c = k, j = start; c >= 1 && j >= 0; c--) {
    indices.push(cand[j]!);
    j = next[c]![j]!;
  }
  return { indices, hypervolume: best[k]![start]! };
}
