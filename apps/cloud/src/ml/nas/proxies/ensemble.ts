/**
 * Rank aggregation of proxies over a population, and Kendall's tau.
 * `ensembleScores`: for each proxy, rank the population (average ranks for ties; NaN ranks last),
 * scale to [0, 1] (1 = best), and average over the proxies (a Borda count, normalised), optionally
 * weighted (`weights[i]` for `names[i]`, default 1 each).
 */
import type { ProxyName, ProxyScores } from './types.js';

/** Ranks 0..n-1 ascending by value (ties share their mean rank; NaN gets the lowest ranks). */
export function ranks(values: readonly number[]): number[] {
  const key = (v: number): number => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  const idx = values.map((_, i) => i).sort((a, b) => key(values[a]!) - key(values[b]!) || a - b);
  const r = new Array<number>(values.length).fill(0);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && key(values[idx[j + 1]!]!) === key(values[idx[i]!]!)) j++;
    const mean = (i + j) / 2;
    for (let t = i; t <= j; t++) r[idx[t]!] = mean;
    i = j + 1;
  }
  return r;
}

export function ensembleScores(
  population: readonly ProxyScores[],
  names: readonly ProxyName[],
  weights?: readonly number[],
): number[] {
  const n = population.length;
  const total = new Array<number>(n).fill(0);
  if (n === 0 || names.length === 0) return total;
  let sum = 0;
  names.forEach((name, j) => {
    const w = weights?.[j] ?? 1;
    sum += w;
    const r = ranks(population.map((s) => s[name] ?? Number.NaN));
    for (let i = 0; i < n; i++) total[i]! += w * (n > 1 ? r[i]! / (n - 1) : 1);
  });
  return total.map((t) => (sum > 0 ? t / sum : 0));
}

/** Kendall's tau-b (ties in either variable handled); NaN pairs dropped; NaN if undefined. */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Number.isNaN(a[i]!) || Number.isNaN(b[i]!)) continue;
    xs.push(a[i]!);
    ys.push(b[i]!);
  }
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = Math.sign(xs[i]! - xs[j]!);
      const dy = Math.sign(ys[i]! - ys[j]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denom === 0 ? Number.NaN : (concordant - discordant) / denom;
}
