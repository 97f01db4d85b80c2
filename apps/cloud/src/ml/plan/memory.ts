/**
 * The inference arena plan (PROTOCOL.md §5.6): liveness of every activation buffer, then greedy
 * first-fit placement; RESHAPE outputs get their input's offset.
 */
import type { PlanGraph } from './graph.js';
import { type Placed, placeGreedy } from './greedy.js';
import { type FlowOp, type Liveness, liveness } from './liveness.js';

export interface InferencePlan {
  readonly liveness: Liveness;
  /** Arena offset of every activation tensor id (aliases included). */
  readonly offsets: ReadonlyMap<number, number>;
  /** The placed buffers, keyed by root tensor id. */
  readonly placed: readonly Placed[];
  readonly arenaBytes: number;
}

export function flowOf(g: PlanGraph): FlowOp[] {
  return g.ops.map((op) => ({ inputs: op.inputs, output: op.output, alias: op.kind === 'RESHAPE' }));
}

/** Plans buffers of `bytes(id)` for a dataflow (used by `planInference` and quant/arena.ts). */
export function planFlow(
  ops: readonly FlowOp[],
  input: number,
  output: number,
  bytes: (id: number) => number,
): InferencePlan {
  const live = liveness(ops, input, output);
  const buffers = [...live.ranges].map(([key, r]) => ({ key, bytes: bytes(key), ...r }));
  const placement = placeGreedy(buffers);
  const offsets = new Map<number, number>();
  for (const [id, root] of live.root) offsets.set(id, placement.offsets.get(root)!);
  return { liveness: live, offsets, placed: placement.placed, arenaBytes: placement.bytes };
}

export function planInference(g: PlanGraph): InferencePlan {
  return planFlow(flowOf(g), g.input, g.output, (id) => g.tensors[id]!.bytes);
}
