import { describe, expect, it } from 'vitest';
import { loadMnist } from './mnist.js';
import { gz, idxBytes, realDataDir, tempDir } from './test-fixtures.js';
import { DatasetError, isRawSplit } from './types.js';

/** Writes a tiny MNIST-shaped data set (4x3 images) and returns its folder. */
function tinyMnist(
  t: ReturnType<typeof tempDir>,
  opts: { trainLabels?: number[]; testImages?: Buffer } = {},
): string {
  const img = (n: number, seed: number): number[] =>
    Array.from({ length: n * 12 }, (_, i) => (i * 37 + seed) % 256);
  t.write('mnist/train-images-idx3-ubyte.gz', gz(idxBytes([3, 4, 3], img(3, 1))));
  const labels = opts.trainLabels ?? [5, 0, 9];
  t.write('mnist/train-labels-idx1-ubyte.gz', gz(idxBytes([labels.length], labels)));
  t.write('mnist/t10k-images-idx3-ubyte.gz', opts.testImages ?? gz(idxBytes([2, 4, 3], img(2, 2))));
  t.write('mnist/t10k-labels-idx1-ubyte.gz', gz(idxBytes([2], [1, 2])));
  return `${t.dir}/mnist`;
}

async function rejection(p: Promise<unknown>): Promise<DatasetError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DatasetError) return e;
    throw e;
  }
  throw new Error('expected a DatasetError');
}

describe('loadMnist (generated files)', () => {
  it('loads shapes, labels, [0,1] inputs and the raw bytes', async () => {
    const t = tempDir();
    try {
      const ds = await loadMnist(tinyMnist(t));
      expect(ds.inputShape).toEqual([4, 3, 1]);
      expect([ds.train.size, ds.test.size, ds.numClasses]).toEqual([3, 2, 10]);
      const s = ds.train.get(1);
      expect(s.y).toBe(0);
      expect(s.x).toHaveLength(12);
      const raw = ds.train.getRaw(1);
      expect(isRawSplit(ds.train)).toBe(true);
      for (let i = 0; i < 12; i++) expect(s.x[i]).toBeCloseTo((raw[i] as number) / 255, 7);
      expect(raw[0]).toBe((12 * 37 + 1) % 256);
      expect(ds.inputEncoding).toEqual({ raw: 'uint8', scale: 1 / 255, zeroPoint: 0 });
      s.x[0] = 42; // callers own x
      expect(ds.train.get(1).x[0]).not.toBe(42);
      expect(() => ds.train.get(3)).toThrow(RangeError);
    } finally {
      t.done();
    }
  });

  it('gives clear DatasetErrors for missing files, count mismatches, bad labels and truncation', async () => {
    const t = tempDir();
    try {
      const e1 = await rejection(loadMnist(`${t.dir}/nowhere`));
      expect(e1.code).toBe('not_found');
      expect(e1.path).toMatch(/idx\d-ubyte\.gz$/);
      const t2 = tempDir();
      const e2 = await rejection(loadMnist(tinyMnist(t2, { trainLabels: [1, 2] })));
      t2.done();
      expect(e2.code).toBe('mismatch');
      expect(e2.message).toMatch(/3 images but 2 labels/);
      const t3 = tempDir();
      const e3 = await rejection(loadMnist(tinyMnist(t3, { trainLabels: [1, 2, 10] })));
      t3.done();
      expect(e3.message).toMatch(/label 10 at index 2/);
      const t4 = tempDir();
      const short = gz(idxBytes([2, 4, 3], new Array<number>(20).fill(0)));
      const e4 = await rejection(loadMnist(tinyMnist(t4, { testImages: short })));
      t4.done();
      expect(e4.message).toMatch(/truncated: 20 of 24 bytes/);
      expect(e4.path).toMatch(/t10k-images/);
    } finally {
      t.done();
    }
  });
});

const real = realDataDir('mnist');

describe.skipIf(!real)(`loadMnist on the real data (${real ?? 'absent: skipped'})`, () => {
  it('has 60,000 train and 10,000 test 28x28 digits', async () => {
    const ds = await loadMnist(real as string);
    expect([ds.train.size, ds.test.size]).toEqual([60000, 10000]);
    expect(ds.inputShape).toEqual([28, 28, 1]);
    expect(ds.train.get(0).y).toBe(5); // the famous first training digit
    const counts = new Array<number>(10).fill(0);
    for (const y of ds.raw.test.labels) counts[y] = (counts[y] as number) + 1;
    expect(counts.every((c) => c > 800)).toBe(true);
  });
});
