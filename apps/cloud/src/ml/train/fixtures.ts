/** Test fixtures: small synthetic, separable classification data sets (no files). */
import type { DataSplit, Dataset } from '../data/types.js';
import { Rng } from '../tensor/rng.js';

/**
 * `classes` classes of h x w x 1 images: class k has a bright 2x2 blob in its own region of the image
 * plus noise; linearly separable, learnable by any small CNN in a few epochs.
 */
export function blobDataset(o: {
  train: number;
  test: number;
  classes?: number;
  size?: number;
  seed?: number;
}): Dataset {
  const classes = o.classes ?? 4;
  const size = o.size ?? 8;
  const make = (n: number, seed: number): DataSplit => {
    const rng = new Rng(seed);
    const xs: Float32Array[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const y = rng.int(classes);
      const x = new Float32Array(size * size);
      for (let j = 0; j < x.length; j++) x[j] = rng.uniform(0, 0.3);
      const cy = 1 + ((Math.floor(y / 2) * (size - 4)) % (size - 3)) + rng.int(2);
      const cx = 1 + (y % 2) * (size - 4) + rng.int(2);
      for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) x[(cy + dy) * size + cx + dx] = 1;
      xs.push(x);
      ys.push(y);
    }
    return { size: n, get: (i) => ({ x: xs[i]!.slice(), y: ys[i]! }) };
  };
  return {
    name: 'blobs',
    inputShape: [size, size, 1],
    numClasses: classes,
    classNames: Array.from({ length: classes }, (_, i) => `c${i}`),
    train: make(o.train, o.seed ?? 1),
    test: make(o.test, (o.seed ?? 1) + 1000),
  };
}
