/**
 * Greedy first-fit arena placement, the TFLite Micro greedy planner's rule (RESEARCH.md §6): take the
 * buffers by decreasing size (ties: earlier first use, then key), put each at the lowest 16-aligned
 * offset where it overlaps no already placed buffer that is live at the same time (PROTOCOL.md §5.6).
 * `fixed` buffers keep the offsets they come with (the forward tensors of a training plan).
 */
import { type Interval, overlaps } from './liveness.js';

export const ARENA_ALIGN = 16;

export function align16(n: number): number {
  return Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;
}

export interface Buffer extends Interval {
  /** Caller's name for the buffer (e.g. a tensor id). */
  readonly key: number;
  readonly bytes: number;
}

export interface Placed extends Buffer {
  readonly offset: number;
}

export interface Placement {
  readonly placed: readonly Placed[];
  readonly offsets: ReadonlyMap<number, number>;
  /** Arena size: the 16-aligned end of the highest buffer. */
  readonly bytes: number;
}

export function placeGreedy(buffers: readonly Buffer[], fixed: readonly Placed[] = []): Placement {
  const order = [...buffers].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.key - b.key);
  const placed: Placed[] = [...fixed];
  for (const b of order) {
    const clashes = placed.filter((p) => overlaps(p, b)).sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const p of clashes) {
      if (offset + b.bytes <= p.offset) break;
      offset = Math.max(offset, align16(p.offset + p.bytes));
    }
    placed.push({ ...b, offset });
  }
  const offsets = new Map(placed.map((p) => [p.key, p.offset]));
  const bytes = placed.reduce((m, p) => Math.max(m, align16(p.offset + p.bytes)), 0);
  return { placed, offsets, bytes };
}
