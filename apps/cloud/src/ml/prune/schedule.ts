/**
 * Automated gradual pruning (Zhu & Gupta 2017; RESEARCH.md §2): the sparsity after pruning step `t` of
 * `n` is  s_t = s_f + (s_i - s_f) (1 - t/n)^3  — large cuts while the network is redundant, small ones
 * near the end.
 */
import { PruneError } from './errors.js';

export function agpSparsity(t: number, n: number, final: number, initial = 0): number {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(t) && t >= 0 && t <= n)) {
    throw new PruneError('BAD_CONFIG', `AGP step ${t} of ${n} is out of range`);
  }
  return final + (initial - final) * (1 - t / n) ** 3;
}

/** The sparsity targets of steps 1..n (`one-shot` is the single step [final]). */
export function sparsitySchedule(
  kind: 'one-shot' | 'agp',
  final: number,
  steps: number,
  initial = 0,
): number[] {
  if (!(final >= 0 && final < 1))
    throw new PruneError('BAD_CONFIG', `sparsity must be in [0, 1), got ${final}`);
  if (kind === 'one-shot') return [final];
  return Array.from({ length: steps }, (_, i) => agpSparsity(i + 1, steps, final, initial));
}
