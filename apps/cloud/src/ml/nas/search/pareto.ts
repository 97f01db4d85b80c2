/** Pareto dominance, fast non-dominated sorting and crowding distance (all objectives minimised). */

export type Objectives = readonly number[];

/** a dominates b: no worse in every objective, better in one. */
export function dominates(a: Objectives, b: Objectives): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/**
 * Fronts of indices (front 0 is non-dominated). With `violation`, feasible points (violation 0)
 * come first and infeasible ones follow, ordered by increasing violation (Deb's constrained domination).
 */
export function nonDominatedSort(points: readonly Objectives[], violation?: readonly number[]): number[][] {
  const n = points.length;
  const v = (i: number): number => violation?.[i] ?? 0;
  const dom = (a: number, b: number): boolean => {
    const va = v(a);
    const vb = v(b);
    if (va === 0 && vb > 0) return true;
    if (va > 0 && vb > 0) return va < vb;
    if (va > 0) return false;
    return dominates(points[a]!, points[b]!);
  };
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Array<number>(n).fill(0);
  const fronts: number[][] = [[]];
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      if (p === q) continue;
      if (dom(p, q)) dominatedBy[p]!.push(q);
      else if (dom(q, p)) count[p]!++;
    }
    if (count[p] === 0) fronts[0]!.push(p);
  }
  for (let f = 0; fronts[f]!.length > 0; f++) {
    const next: number[] = [];
    for (const p of fronts[f]!)
      for (const q of dominatedBy[p]!) {
        count[q]!--;
        if (count[q] === 0) next.push(q);
      }
    fronts.push(next);
  }
  fronts.pop();
  return fronts;
}

/** Crowding distance of each member of one front (Infinity at the extremes of every objective). */
export function crowdingDistance(
  points: readonly Objectives[],
  front: readonly number[],
): Map<number, number> {
  const d = new Map<number, number>(front.map((i) => [i, 0]));
  if (front.length === 0) return d;
  const m = points[front[0]!]!.length;
  for (let k = 0; k < m; k++) {
    const sorted = [...front].sort((a, b) => points[a]![k]! - points[b]![k]!);
    const lo = points[sorted[0]!]![k]!;
    const hi = points[sorted[sorted.length - 1]!]![k]!;
    d.set(sorted[0]!, Number.POSITIVE_INFINITY);
    d.set(sorted[sorted.length - 1]!, Number.POSITIVE_INFINITY);
    if (hi === lo) continue;
    for (let i = 1; i < sorted.length - 1; i++) {
      const idx = sorted[i]!;
      const gap = (points[sorted[i + 1]!]![k]! - points[sorted[i - 1]!]![k]!) / (hi - lo);
      d.set(idx, d.get(idx)! + gap);
    }
  }
  return d;
}

/** Indices of the non-dominated points among `points` (duplicates kept once, the first). */
export function paretoFront(points: readonly Objectives[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i++) {
    let dominated = false;
    for (let j = 0; j < points.length && !dominated; j++) {
      if (i === j) continue;
      if (dominates(points[j]!, points[i]!)) dominated = true;
      else if (j < i && points[j]!.every((v, k) => v === points[i]![k])) dominated = true;
    }
    if (!dominated) out.push(i);
  }
  return out;
}
