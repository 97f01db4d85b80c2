/**
 * The `--trainable` set: `none`, `all` (every weighted op), `lastN` (the last N weighted ops, e.g.
 * `last2`) or a comma-separated list of op indices (PROTOCOL.md §5.7 `trainable_ops`).
 */
import { PlanError } from './errors.js';
import { type PlanGraph, WEIGHTED_KINDS } from './graph.js';

export function weightedOps(g: PlanGraph): number[] {
  return g.ops.flatMap((op, i) => (WEIGHTED_KINDS.has(op.kind) ? [i] : []));
}

export function parseTrainable(spec: string, g: PlanGraph): number[] {
  const s = spec.trim();
  if (s === 'none' || s === '') return [];
  const weighted = weightedOps(g);
  if (s === 'all') return weighted;
  const last = /^last(\d+)$/.exec(s);
  if (last) {
    const k = Number(last[1]);
    if (k < 1) throw new PlanError('BAD_TRAINABLE', '--trainable lastN needs N >= 1');
    return weighted.slice(-k);
  }
  if (!/^\d+(,\d+)*$/.test(s)) {
    throw new PlanError(
      'BAD_TRAINABLE',
      `--trainable must be none, all, lastN or op indices like 2,5; got "${spec}"`,
    );
  }
  const ops = [...new Set(s.split(',').map(Number))].sort((a, b) => a - b);
  for (const i of ops) {
    if (!weighted.includes(i)) {
      throw new PlanError(
        'BAD_TRAINABLE',
        `op ${i} is not a weighted op; weighted ops: ${weighted.join(', ')}`,
      );
    }
  }
  return ops;
}
