/**
 * Tensor liveness over the op schedule (PROTOCOL.md §5.6): an activation is live from the op that
 * writes it (time -1 for the model input) to the last op that reads it (time `ops.length` for the
 * model output, which the caller reads after the last op). A RESHAPE output is the same buffer as its
 * input (§5.4, table 5.4.3), so liveness is computed per *buffer*, named by its root tensor.
 */
import { PlanError } from './errors.js';

export interface FlowOp {
  /** Activation tensor ids read. */
  readonly inputs: readonly number[];
  readonly output: number;
  /** The output aliases `inputs[0]` (RESHAPE). */
  readonly alias: boolean;
}

/** Inclusive range of schedule times. */
export interface Interval {
  readonly first: number;
  readonly last: number;
}

export interface Liveness {
  /** The buffer (root tensor id) a tensor lives in. */
  readonly root: ReadonlyMap<number, number>;
  /** Live range of every buffer, keyed by root id, in first-write order. */
  readonly ranges: ReadonlyMap<number, Interval>;
}

export function liveness(ops: readonly FlowOp[], input: number, output: number): Liveness {
  const root = new Map<number, number>([[input, input]]);
  const first = new Map<number, number>([[input, -1]]);
  const last = new Map<number, number>([[input, -1]]);
  ops.forEach((op, i) => {
    for (const x of op.inputs) {
      const r = root.get(x);
      if (r === undefined) throw new PlanError('BAD_MODEL', `op ${i} reads tensor ${x} before it is written`);
      last.set(r, Math.max(last.get(r)!, i));
    }
    if (root.has(op.output)) throw new PlanError('BAD_MODEL', `tensor ${op.output} is written twice`);
    if (op.alias) {
      root.set(op.output, root.get(op.inputs[0]!)!);
      return;
    }
    root.set(op.output, op.output);
    first.set(op.output, i);
    last.set(op.output, i);
  });
  const out = root.get(output);
  if (out === undefined) throw new PlanError('BAD_MODEL', `the model output ${output} is never written`);
  last.set(out, ops.length);
  const ranges = new Map<number, Interval>();
  for (const [id, f] of first) ranges.set(id, { first: f, last: last.get(id)! });
  return { root, ranges };
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.first <= b.last && b.first <= a.last;
}
