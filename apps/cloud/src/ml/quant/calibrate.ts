/**
 * Calibration (PROTOCOL.md §6.4): run the float model on a sample of the data and record, for every
 * value, its min/max or its lower and upper percentiles.
 */
import type { DataSplit } from '../data/types.js';
import { Plan } from '../engine/plan.js';
import { type Graph, shapeSize } from '../graph/types.js';
import { QuantError } from './errors.js';

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface CalibrationOptions {
  /** Samples taken evenly across the split (default 1000, at most the split size). */
  readonly samples?: number;
  /** Upper percentile in (50, 100]; the lower one is 100 - P. Absent: min/max. */
  readonly percentile?: number;
  readonly batch?: number;
}

/** Values kept per tensor for percentiles (a strided subsample beyond that). */
const KEEP = 1 << 20;

/** Indices of `n` samples spread evenly over a split of `size`. */
export function calibrationIndices(size: number, n: number): number[] {
  const count = Math.min(n, size);
  return Array.from({ length: count }, (_, i) => Math.floor((i * size) / count));
}

export function calibrate(graph: Graph, split: DataSplit, o: CalibrationOptions = {}): Map<string, Range> {
  const idx = calibrationIndices(split.size, o.samples ?? 1000);
  if (idx.length === 0) throw new QuantError('NO_DATA', 'calibration needs at least one sample');
  const p = o.percentile;
  if (p !== undefined && !(p > 50 && p <= 100)) {
    throw new QuantError('OUT_OF_RANGE', `percentile must be in (50, 100], got ${p}`);
  }
  const batch = Math.min(o.batch ?? 64, idx.length);
  const plan = new Plan(graph, { batch, training: false });
  const names = [...graph.inputs.map((i) => i.name), ...graph.nodes.map((n) => n.name)];
  const sizes = new Map(names.map((n) => [n, shapeSize(plan.shapes.get(n)!)]));
  const minMax = new Map(names.map((n) => [n, { min: Infinity, max: -Infinity }]));
  const kept = new Map<string, number[]>(names.map((n) => [n, []]));
  const stride = new Map(names.map((n) => [n, Math.max(1, Math.ceil((sizes.get(n)! * idx.length) / KEEP))]));
  const inSize = sizes.get(plan.inputName)!;
  for (let from = 0; from < idx.length; from += batch) {
    const n = Math.min(batch, idx.length - from);
    const input = plan.act(plan.inputName).f32;
    for (let k = 0; k < n; k++) input.set(split.get(idx[from + k]!).x, k * inSize);
    plan.forward(n, false);
    for (const name of names) {
      const data = plan.act(name).f32.subarray(0, n * sizes.get(name)!);
      const r = minMax.get(name)!;
      for (const v of data) {
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
      }
      if (p !== undefined) {
        const list = kept.get(name)!;
        const s = stride.get(name)!;
        for (let i = (from * 7919) % s; i < data.length; i += s) list.push(data[i]!);
      }
    }
  }
  const out = new Map<string, Range>();
  for (const name of names) {
    if (p === undefined) {
      out.set(name, minMax.get(name)!);
      continue;
    }
    const sorted = Float64Array.from(kept.get(name)!).sort();
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.round((q / 100) * (sorted.length - 1)))]!;
    out.set(name, { min: at(100 - p), max: at(p) });
  }
  return out;
}
