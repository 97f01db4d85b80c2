/** Seeded, stratified train/test splitting for data sets that do not define their own split. */
import { DatasetError } from './types.js';

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher-Yates shuffle driven by `rand`. */
export function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

export interface SplitIndices {
  readonly train: number[];
  readonly test: number[];
}

/**
 * Splits sample indices per class: each class puts `round(n * testFraction)` of its `n` samples, chosen by a
 * seeded shuffle, in the test split. Both returned lists are sorted, so the order follows the source.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): SplitIndices {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  }
  const rand = seededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffle(byClass.get(y) ?? [], rand);
    const nTest = Math.round(members.length * testFraction);
    test.push(...members.slice(0, nTest));
    train.push(...members.slice(nTest));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train, test };
}

/** Throws a RangeError for an index outside [0, size) (a programming error, not a data error). */
export function checkIndex(index: number, size: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`sample index ${index} out of range [0, ${size})`);
  }
}

/** Validates a user-supplied test fraction (default 0.2) at the loader boundary. */
export function testFractionOf(value: number | undefined, path: string): number {
  const f = value ?? 0.2;
  if (!(f >= 0 && f <= 1)) {
    throw new DatasetError(`testFraction must be in [0, 1], got ${f}`, path, { code: 'invalid_argument' });
  }
  return f;
}
