import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, defaultDatasetsDir, loadDataset } from './index.js';
import { repoRoot } from './paths.js';
import { gz, idxBytes, pngBytes, sine, tempDir } from './test-fixtures.js';
import { encodeWav } from './wav.js';

describe('defaultDatasetsDir', () => {
  it('prefers TINYFLEET_DATASETS, else <repo root>/../shared/datasets', () => {
    expect(defaultDatasetsDir({ TINYFLEET_DATASETS: '/data/sets' })).toBe('/data/sets');
    const root = repoRoot();
    expect(existsSync(join(root, 'apps', 'cloud', 'package.json'))).toBe(true);
    expect(defaultDatasetsDir({})).toBe(resolve(root, '..', 'shared', 'datasets'));
  });
});

describe('loadDataset', () => {
  it('dispatches mnist, fsdd, csv: and png: names', async () => {
    const t = tempDir();
    try {
      t.write('mnist/train-images-idx3-ubyte.gz', gz(idxBytes([1, 2, 2], [0, 255, 0, 255])));
      t.write('mnist/train-labels-idx1-ubyte.gz', gz(idxBytes([1], [7])));
      t.write('mnist/t10k-images-idx3-ubyte', idxBytes([1, 2, 2], [1, 2, 3, 4]));
      t.write('mnist/t10k-labels-idx1-ubyte', idxBytes([1], [3]));
      t.write('fsdd/recordings/3_amy_0.wav', encodeWav(sine(800, 4000), 8000));
      t.write('fsdd/recordings/3_amy_5.wav', encodeWav(sine(800, 3000), 8000));
      const csv = t.write('w.csv', 'label,a_0,b_0\nx,1,2\ny,3,4\n');
      t.write(
        'img/one/1.png',
        pngBytes(2, 2, () => [9, 9, 9, 255]),
      );
      t.write(
        'img/two/1.png',
        pngBytes(2, 2, () => [9, 9, 9, 255]),
      );

      const mnist = await loadDataset('mnist', { dir: t.dir });
      expect([mnist.name, mnist.train.get(0).y, mnist.test.get(0).y]).toEqual(['mnist', 7, 3]);
      const fsdd = await loadDataset('fsdd', { dir: t.dir, layout: 'image', fsdd: { numFrames: 49 } });
      expect([fsdd.inputShape, fsdd.train.size, fsdd.test.size]).toEqual([[49, 13, 1], 1, 1]);
      const c = await loadDataset(`csv:${relative(process.cwd(), csv)}`, { testFraction: 0 });
      expect([c.inputShape, c.classNames, c.train.size]).toEqual([[1, 2], ['x', 'y'], 2]);
      const p = await loadDataset(`png:${t.dir}/img`, { png: { channels: 3 }, testFraction: 0.5 });
      expect([p.inputShape, p.classNames, p.train.size + p.test.size]).toEqual([
        [2, 2, 3],
        ['one', 'two'],
        2,
      ]);
    } finally {
      t.done();
    }
  });

  it('rejects unknown names and missing folders with DatasetErrors', async () => {
    await expect(loadDataset('cifar10')).rejects.toMatchObject({ code: 'invalid_argument', path: 'cifar10' });
    const e = await loadDataset('mnist', { dir: '/nonexistent' }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).message).toMatch(/cannot read IDX file: ENOENT \(\/nonexistent\/mnist\//);
  });
});
