import { afterEach, describe, expect, it } from 'vitest';
import { loadCsvWindows } from './csv.js';
import { tempDir } from './test-fixtures.js';
import { DatasetError } from './types.js';

let t = tempDir();
afterEach(() => {
  t.done();
  t = tempDir();
});

async function errorFor(text: string): Promise<DatasetError> {
  try {
    await loadCsvWindows(t.write('bad.csv', text));
  } catch (e) {
    if (e instanceof DatasetError) return e;
    throw e;
  }
  throw new Error('expected a DatasetError');
}

describe('loadCsvWindows', () => {
  it('lays out <channel>_<t> columns as [T, C] in any column order, with a split column', async () => {
    const csv = [
      'label,ax_0,ay_0,ax_1,ay_1,ay_2,ax_2,split',
      'walk,1,2,3,4,6,5,train',
      '"run",10,20,30,40,60,50,test',
      '',
      'walk,0,0,0,0,0,0,TRAIN',
    ].join('\r\n');
    const ds = await loadCsvWindows(t.write('w.csv', csv), { layout: 'series' });
    expect(ds.inputShape).toEqual([3, 2]);
    expect(ds.channels).toEqual(['ax', 'ay']);
    expect(ds.classNames).toEqual(['run', 'walk']);
    expect([ds.train.size, ds.test.size]).toEqual([2, 1]);
    expect(ds.train.get(0)).toEqual({ x: Float32Array.of(1, 2, 3, 4, 5, 6), y: 1 });
    expect(ds.test.get(0)).toEqual({ x: Float32Array.of(10, 20, 30, 40, 50, 60), y: 0 });
    expect(ds.name).toMatch(/^csv:.*w\.csv$/);
  });

  it('reads integer labels as class indices and splits 80/20 per class with a seed', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},${-i},${i % 2 === 0 ? 0 : 3}`);
    const path = t.write('i.csv', ['\uFEFFs_0,s_1,label', ...rows].join('\n'));
    const a = await loadCsvWindows(path, { seed: 7, layout: 'image' });
    expect(a.classNames).toEqual(['0', '1', '2', '3']);
    expect(a.inputShape).toEqual([2, 1, 1]);
    expect([a.train.size, a.test.size]).toEqual([40, 10]);
    const testY = Array.from({ length: 10 }, (_, i) => a.test.get(i).y);
    expect(testY.filter((y) => y === 0)).toHaveLength(5);
    const b = await loadCsvWindows(path, { seed: 7 });
    const c = await loadCsvWindows(path, { seed: 8 });
    const firstX = (d: typeof a): number[] =>
      Array.from({ length: 10 }, (_, i) => d.test.get(i).x[0] as number);
    expect(firstX(b)).toEqual(firstX(a));
    expect(firstX(c)).not.toEqual(firstX(a));
  });

  it.each([
    ['ax_0,ax_1\n1,2', /line 1: no "label" column/],
    ['label,ax_0,ax_1\nw,1', /line 2: expected 3 fields as in the header, got 2/],
    ['label,ax_0,ax_1\nw,1,2\nw,1,2,3', /line 3: expected 3 fields/],
    ['label,ax_0,ax_1\nw,1,2\nw,1,abc', /line 3: column 3 \(ax_1\): "abc" is not a finite number/],
    ['label,ax_0,ax_1\nw,1,', /line 2: column 3 \(ax_1\): "" is not a finite number/],
    ['label,ax_0,ax_2\nw,1,2', /line 1: .*"ax_2" breaks it/],
    ['label,ax_0,ay_1\nw,1,2', /line 1: .*breaks it|missing column/],
    ['label,ax_0,ax_1,ay_0\nw,1,2,3', /line 1: channels must share/],
    ['label,ax_0,ax_0\nw,1,2', /line 1: duplicate column "ax_0"/],
    ['label,ax_0,time\nw,1,2', /line 1: column 3 "time" is neither/],
    ['label\nw', /no <channel>_<t> columns/],
    ['label,ax_0,split\nw,1,val', /line 2: split must be "train" or "test", got "val"/],
    ['label,ax_0\n,1', /line 2: empty label/],
    ['label,ax_0\n"w,1', /line 2: unterminated quoted field/],
    ['', /empty CSV/],
    ['label,ax_0\n\n', /no data rows/],
  ])('rejects %j', async (text, msg) => {
    const e = await errorFor(text);
    expect(e.message).toMatch(msg);
    expect(e.path).toMatch(/bad\.csv$/);
  });

  it('reports a missing file as not_found', async () => {
    await expect(loadCsvWindows(`${t.dir}/none.csv`)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('loadCsvWindows options', () => {
  it('rejects a test fraction outside [0, 1]', async () => {
    const path = t.write('o.csv', 'label,a_0\nx,1\n');
    await expect(loadCsvWindows(path, { testFraction: 1.5 })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
