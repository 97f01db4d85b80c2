/**
 * The static arena plan of a quantized graph (PROTOCOL.md §5.6), by the planner in `../plan`: live
 * ranges of the activations, then greedy first-fit by decreasing size with 16-byte alignment (TFLite
 * Micro's greedy planner). A RESHAPE output shares its input's buffer.
 */
import { planFlow } from '../plan/memory.js';
import type { QGraph } from './types.js';
import { size } from './types.js';

export interface ArenaPlan {
  /** Byte offset of every activation value. */
  readonly offsets: ReadonlyMap<string, number>;
  readonly bytes: number;
}

export function planArena(g: QGraph): ArenaPlan {
  const names = [g.input, ...g.nodes.map((n) => n.output)];
  const id = new Map(names.map((n, i) => [n, i]));
  const idOf = (name: string): number => id.get(name) ?? -1;
  const ops = g.nodes.map((n) => ({
    inputs: n.inputs.map(idOf),
    output: idOf(n.output),
    alias: n.op === 'reshape',
  }));
  const plan = planFlow(ops, 0, idOf(g.output), (i) => size(g.values.get(names[i]!)!.shape));
  const offsets = new Map<string, number>();
  for (const [name, i] of id) offsets.set(name, plan.offsets.get(i)!);
  return { offsets, bytes: plan.arenaBytes };
}
