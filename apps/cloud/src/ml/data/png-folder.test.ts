import { afterEach, describe, expect, it } from 'vitest';
import { loadPngFolder } from './png-folder.js';
import { pngBytes, tempDir } from './test-fixtures.js';
import { DatasetError } from './types.js';

let t = tempDir();
afterEach(() => {
  t.done();
  t = tempDir();
});

const grey = (v: number) =>
  pngBytes(3, 2, (x, y) => [v + x + 10 * y, v + x + 10 * y, v + x + 10 * y, 255], 0);
const colour = (r: number) => pngBytes(3, 2, () => [r, 100, 200, 128], 6);

async function errorFor(dir: string): Promise<DatasetError> {
  try {
    await loadPngFolder(dir);
  } catch (e) {
    if (e instanceof DatasetError) return e;
    throw e;
  }
  throw new Error('expected a DatasetError');
}

describe('loadPngFolder', () => {
  it('reads a folder per class as grey [H, W, 1] in [0, 1] with a seeded split', async () => {
    for (let i = 0; i < 10; i++) {
      t.write(`cats/c${i}.png`, grey(i));
      t.write(`dogs/d${i}.PNG`, grey(100 + i));
    }
    t.write('dogs/notes.txt', 'ignored');
    const ds = await loadPngFolder(t.dir, { seed: 1 });
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect(ds.inputShape).toEqual([2, 3, 1]);
    expect([ds.train.size, ds.test.size]).toEqual([16, 4]);
    expect(ds.test.files.filter((f) => f.label === 0)).toHaveLength(2);
    const i = ds.train.files.findIndex((f) => f.path.endsWith('d3.PNG'));
    const s = ds.train.get(i);
    expect(s.y).toBe(1);
    expect([...ds.train.getRaw(i)]).toEqual([103, 104, 105, 113, 114, 115]);
    expect(s.x[5]).toBeCloseTo(115 / 255, 6);
    expect(ds.inputEncoding.scale).toBe(1 / 255);
  });

  it('uses train/ and test/ folders, RGB when any image has colour, grey when forced', async () => {
    t.write('train/a/1.png', colour(10));
    t.write('train/b/1.png', grey(0));
    t.write('test/a/2.png', colour(20));
    const ds = await loadPngFolder(t.dir);
    expect(ds.classNames).toEqual(['a', 'b']);
    expect(ds.inputShape).toEqual([2, 3, 3]);
    expect([ds.train.size, ds.test.size]).toEqual([2, 1]);
    expect([...ds.test.getRaw(0).subarray(0, 3)]).toEqual([20, 100, 200]); // alpha dropped
    const g = await loadPngFolder(t.dir, { channels: 1 });
    expect(g.inputShape).toEqual([2, 3, 1]);
    expect(g.test.getRaw(0)[0]).toBe(Math.round(0.299 * 20 + 0.587 * 100 + 0.114 * 200));
  });

  it('decodes lazily through the LRU cache, so a file corrupted later fails in get() with its path', async () => {
    t.write('a/1.png', grey(0));
    const p = t.write('a/2.png', grey(5));
    const ds = await loadPngFolder(t.dir, { testFraction: 0, cacheSize: 1 });
    expect(ds.train.get(1).y).toBe(0);
    const bytes = grey(5);
    t.write('a/2.png', Buffer.concat([bytes.subarray(0, 40), Buffer.alloc(20)]));
    expect(ds.train.get(1).x).toHaveLength(6); // still cached
    ds.train.get(0); // evicts 2.png
    expect(() => ds.train.get(1)).toThrow(DatasetError);
    expect(() => ds.train.get(1)).toThrow(p);
  });

  it('names the offending file for size mismatches and non-PNG content', async () => {
    t.write('a/1.png', grey(0));
    t.write(
      'a/2.png',
      pngBytes(4, 4, () => [0, 0, 0, 255]),
    );
    const e = await errorFor(t.dir);
    expect([e.code, e.path.endsWith('2.png')]).toEqual(['mismatch', true]);
    expect(e.message).toMatch(/image is 4x4 but .*1\.png is 3x2/);
    t.write('a/2.png', 'not a png at all, just text here');
    expect((await errorFor(t.dir)).message).toMatch(/not a PNG file.*2\.png/);
  });

  it('rejects missing folders, empty class folders and a lone train/ folder', async () => {
    expect((await errorFor(`${t.dir}/none`)).code).toBe('not_found');
    expect((await errorFor(t.dir)).message).toMatch(/no class folders/);
    t.write('a/readme.txt', 'x');
    expect((await errorFor(t.dir)).message).toMatch(/class folder has no \.png files/);
    t.write('train/a/1.png', grey(0));
    expect((await errorFor(t.dir)).message).toMatch(/only one of train\/ and test\//);
  });
});
