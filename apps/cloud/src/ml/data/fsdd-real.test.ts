/**
 * FSDD on the real recordings: counts, and a sanity experiment showing the features are learnable
 * (nearest centroid on per-utterance MFCC mean and std; softmax regression on the whole [T, C] window).
 */
import { describe, expect, it } from 'vitest';
import { type FsddDataset, loadFsdd } from './fsdd.js';
import { seededRandom, shuffle } from './split.js';
import { realDataDir } from './test-fixtures.js';
import type { DataSplit } from './types.js';

const real = realDataDir('fsdd');

/** Mean and std over an utterance's real (unpadded) frames, per coefficient. */
function pooled(ds: FsddDataset, which: 'train' | 'test'): { f: Float64Array; y: number }[] {
  const [T, C] = ds.inputShape as [number, number];
  return ds.utterances[which].map((u, i) => {
    const { x, y } = ds[which].get(i);
    const n = Math.min(u.frames, T);
    const off = Math.max(0, Math.floor((T - n) / 2));
    const f = new Float64Array(2 * C);
    for (let t = off; t < off + n; t++)
      for (let c = 0; c < C; c++) f[c] = (f[c] as number) + (x[t * C + c] as number) / n;
    for (let t = off; t < off + n; t++) {
      for (let c = 0; c < C; c++)
        f[C + c] = (f[C + c] as number) + ((x[t * C + c] as number) - (f[c] as number)) ** 2 / n;
    }
    for (let c = 0; c < C; c++) f[C + c] = Math.sqrt(f[C + c] as number);
    return { f, y };
  });
}

function nearestCentroidAccuracy(ds: FsddDataset): number {
  const train = pooled(ds, 'train');
  const dim = train[0]?.f.length ?? 0;
  const centroids = Array.from({ length: 10 }, () => new Float64Array(dim));
  const counts = new Array<number>(10).fill(0);
  for (const s of train) {
    counts[s.y] = (counts[s.y] as number) + 1;
    s.f.forEach((v, k) => {
      (centroids[s.y] as Float64Array)[k] = ((centroids[s.y] as Float64Array)[k] as number) + v;
    });
  }
  centroids.forEach((c, y) => {
    for (let k = 0; k < dim; k++) c[k] = (c[k] as number) / (counts[y] as number);
  });
  const test = pooled(ds, 'test');
  const hits = test.filter(({ f, y }) => {
    const d = centroids.map((c) => c.reduce((a, v, k) => a + (v - (f[k] as number)) ** 2, 0));
    return d.indexOf(Math.min(...d)) === y;
  });
  return hits.length / test.length;
}

/** Softmax regression on the flattened window, plain SGD; returns test accuracy. */
function softmaxRegressionAccuracy(train: DataSplit, test: DataSplit, epochs: number): number {
  const D = train.get(0).x.length;
  const W = new Float64Array(10 * D);
  const b = new Float64Array(10);
  const z = new Float64Array(10);
  const logits = (x: Float32Array): Float64Array => {
    for (let k = 0; k < 10; k++) {
      let a = b[k] as number;
      for (let d = 0; d < D; d++) a += (W[k * D + d] as number) * (x[d] as number);
      z[k] = a;
    }
    return z;
  };
  const samples = Array.from({ length: train.size }, (_, i) => train.get(i));
  const rand = seededRandom(1);
  for (let e = 0; e < epochs; e++) {
    for (const s of shuffle(samples, rand)) {
      const p = logits(s.x);
      const m = Math.max(...p);
      let sum = 0;
      for (let k = 0; k < 10; k++) sum += p[k] = Math.exp((p[k] as number) - m);
      for (let k = 0; k < 10; k++) {
        const g = 0.005 * ((p[k] as number) / sum - (k === s.y ? 1 : 0));
        b[k] = (b[k] as number) - g;
        for (let d = 0; d < D; d++) W[k * D + d] = (W[k * D + d] as number) - g * (s.x[d] as number);
      }
    }
  }
  let hits = 0;
  for (let i = 0; i < test.size; i++) {
    const s = test.get(i);
    const p = logits(s.x);
    if (p.indexOf(Math.max(...p)) === s.y) hits++;
  }
  return hits / test.size;
}

describe.skipIf(!real)(`loadFsdd on the real recordings (${real ?? 'absent: skipped'})`, () => {
  it('has 2,700 train and 300 test utterances, 270 / 30 per digit, 6 speakers', async () => {
    const ds = await loadFsdd(real as string);
    expect([ds.train.size, ds.test.size]).toEqual([2700, 300]);
    for (let d = 0; d < 10; d++) {
      expect(ds.utterances.train.filter((u) => u.digit === d)).toHaveLength(270);
      expect(ds.utterances.test.filter((u) => u.digit === d)).toHaveLength(30);
    }
    expect(new Set(ds.utterances.test.map((u) => u.speaker)).size).toBe(6);
    expect(ds.utterances.test.every((u) => u.index <= 4)).toBe(true);
  });

  it('gives learnable features (well above the 10% chance level)', async () => {
    const ds = await loadFsdd(real as string);
    const nc = nearestCentroidAccuracy(ds);
    const lr = softmaxRegressionAccuracy(ds.train, ds.test, 4);
    console.log(
      `FSDD sanity: nearest centroid ${(100 * nc).toFixed(1)}%, softmax regression ${(100 * lr).toFixed(1)}%`,
    );
    expect(nc).toBeGreaterThan(0.6);
    expect(lr).toBeGreaterThan(0.9);
  });
});
