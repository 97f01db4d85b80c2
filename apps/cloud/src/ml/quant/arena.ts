/**
 * A simple static arena plan (PROTOCOL.md §5.6): live ranges of the activations, then greedy
 * first-fit by decreasing size with 16-byte alignment (TFLite Micro's greedy planner). A RESHAPE
 * output shares its input's buffer. The full planner (training tensors, MCU profiles) comes later.
 */
import type { QGraph } from './types.js';
import { size } from './types.js';

export interface ArenaPlan {
  /** Byte offset of every activation value. */
  readonly offsets: ReadonlyMap<string, number>;
  readonly bytes: number;
}

const ALIGN = 16;
const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function planArena(g: QGraph): ArenaPlan {
  const root = new Map<string, string>();
  const bufferOf = (v: string): string => root.get(v) ?? v;
  for (const n of g.nodes) if (n.op === 'reshape') root.set(n.output, bufferOf(n.inputs[0]!));
  // live range [first, last] in op indices; the input is live from -1, the output to the end
  const first = new Map<string, number>([[g.input, -1]]);
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    const b = bufferOf(n.output);
    if (!first.has(b)) first.set(b, i);
    for (const x of n.inputs) last.set(bufferOf(x), Math.max(last.get(bufferOf(x)) ?? i, i));
  });
  last.set(bufferOf(g.output), g.nodes.length);
  const bufs = [...first.keys()].map((name) => ({
    name,
    bytes: size(g.values.get(name)!.shape),
    from: first.get(name)!,
    to: last.get(name) ?? first.get(name)!,
  }));
  bufs.sort((a, b) => b.bytes - a.bytes || a.from - b.from);
  const placed: { from: number; to: number; start: number; end: number }[] = [];
  const offsets = new Map<string, number>();
  let total = 0;
  for (const b of bufs) {
    const clashes = placed.filter((p) => p.from <= b.to && b.from <= p.to).sort((p, q) => p.start - q.start);
    let offset = 0;
    for (const p of clashes) {
      if (offset + b.bytes <= p.start) break;
      offset = Math.max(offset, align(p.end));
    }
    placed.push({ from: b.from, to: b.to, start: offset, end: offset + b.bytes });
    offsets.set(b.name, offset);
    total = Math.max(total, align(offset + b.bytes));
  }
  for (const v of g.values.keys()) offsets.set(v, offsets.get(bufferOf(v))!);
  return { offsets, bytes: total };
}
