/**
 * Data sources (src/sources): quantization to the model input (§4.3 item 4), seeded order, CSV and PNG
 * data sets on small generated files, MNIST on the real data when present, and clear errors.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDatasetsDir } from '@tinyfleet/cloud/data';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSource } from '../config/sources.js';
import { createSource, quantize, SeededOrder, type SessionFeed, SourceError, sameEncoding } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-src-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof SourceError ? `${e.wire}: ${e.message}` : String(e);
  }
}

const source = (json: Record<string, unknown>) =>
  createSource(parseSource(json as never, '$.sources[0]', dir));

describe('quantization of float inputs', () => {
  it('rounds half away from zero and clamps to 0..255 with the given scale and zero point', () => {
    expect([...quantize([0, 0.25, 0.5, -0.5, 100, -100, 0.126], 0.25, 128)]).toEqual([
      128, 129, 130, 126, 255, 0, 129,
    ]);
    expect([...quantize([0.4 / 255, 1.6 / 255, 1, 2], 1 / 255, 0)]).toEqual([0, 2, 255, 255]);
  });
  it('compares encodings as float32, as they travel (§4.3 item 4)', () => {
    expect(sameEncoding({ scale: 1 / 255, zeroPoint: 0 }, { scale: 0.003921569, zeroPoint: 0 })).toBe(true);
    expect(sameEncoding({ scale: 1 / 255, zeroPoint: 0 }, { scale: 1 / 256, zeroPoint: 0 })).toBe(false);
  });
  it('orders samples deterministically, a permutation per epoch', () => {
    const a = new SeededOrder(10, 7);
    const first = Array.from({ length: 10 }, (_, i) => a.at(i));
    expect([...first].sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    const again = new SeededOrder(10, 7);
    expect(Array.from({ length: 20 }, (_, i) => again.at(i)).slice(0, 10)).toEqual(first);
    expect(Array.from({ length: 10 }, (_, i) => new SeededOrder(10, 8).at(i))).not.toEqual(first);
  });
});

describe('csv source', () => {
  it('quantizes float windows with the model input scale and zero point, in seeded order', async () => {
    const rows = ['label,a_0,b_0,a_1,b_1,split'];
    for (let i = 0; i < 6; i++) rows.push(`${i % 2 === 0 ? 'walk' : 'run'},${i / 4},-0.5,0.25,1,train`);
    rows.push('walk,0,0,0,0,test');
    writeFileSync(join(dir, 'imu.csv'), `${rows.join('\n')}\n`);
    const src = source({
      name: 'imu',
      type: 'csv',
      path: 'imu.csv',
      seed: 3,
      input: { scale: 0.25, zeroPoint: 128 },
    });
    const feed = await src.open({});
    expect(feed).toMatchObject({ shape: [2, 2], classes: 2, size: 6, scale: 0.25, zeroPoint: 128 });
    const seen = Array.from({ length: 6 }, (_, i) => feed.sample(i));
    // Each row i: a_0 = i/4 -> 128 + i; b_0 = -0.5 -> 126; a_1 = 0.25 -> 129; b_1 = 1 -> 132.
    expect(seen.map((s) => s.x[0]! - 128).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const s of seen) {
      expect([...s.x.subarray(1)]).toEqual([126, 129, 132]);
      expect(s.y).toBe((s.x[0]! - 128) % 2 === 0 ? 1 : 0); // classes sorted: run = 0, walk = 1
    }
    // The same seed gives the same order; the args' shape must be the sample's.
    expect((await src.open({})).sample(0)).toEqual(seen[0]);
    expect(await codeOf(src.open({ shape: [2, 2, 1] }))).toMatch(
      /^INCOMPATIBLE: source imu gives samples of shape \[2,2\]/,
    );
  });

  it('refuses float inputs without the model input quantization, and names a missing file', async () => {
    writeFileSync(join(dir, 'ok.csv'), 'label,a_0\n0,1\n1,2\n');
    expect(await codeOf(source({ name: 's', type: 'csv', path: 'ok.csv' }).open({}))).toMatch(
      /^BAD_FIELD: .*xs, xz/,
    );
    expect(
      await codeOf(source({ name: 's', type: 'csv', path: 'ok.csv' }).open({ scale: 0.1, zeroPoint: 0 })),
    ).toBe('ok');
    const missing = source({
      name: 'gone',
      type: 'csv',
      path: 'nope.csv',
      input: { scale: 1, zeroPoint: 0 },
    });
    expect(await codeOf(missing.open({}))).toMatch(
      /^BAD_STATE: source gone \(csv\): data set not found: .*nope\.csv/,
    );
    expect(missing.stats()).toMatchObject({ loaded: false, error: expect.stringContaining('nope.csv') });
  });
});

function writePng(path: string, w: number, h: number, fill: (x: number, y: number) => number): void {
  const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, bitDepth: 8 });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data[y * w + x] = fill(x, y);
  writeFileSync(path, PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
}

describe('png source', () => {
  beforeEach(() => {
    for (const [cls, v] of [
      ['dark', 10],
      ['light', 240],
    ] as const) {
      mkdirSync(join(dir, 'img', cls), { recursive: true });
      for (let i = 0; i < 5; i++) writePng(join(dir, 'img', cls, `${i}.png`), 4, 3, (x) => v + x);
    }
  });

  it('sends raw bytes when the model input is the images own encoding, inverted on demand', async () => {
    const plain = await source({ name: 'p', type: 'png', path: 'img' }).open({});
    expect(plain).toMatchObject({ shape: [3, 4, 1], classes: 2, size: 8, scale: 1 / 255, zeroPoint: 0 });
    const s = plain.sample(0);
    const base = s.y === 0 ? 10 : 240;
    expect([...s.x.subarray(0, 4)]).toEqual([base, base + 1, base + 2, base + 3]);
    const inv = await source({ name: 'p', type: 'png', path: 'img', transform: 'invert' }).open({});
    const t = inv.sample(0);
    expect(t.y).toBe(s.y);
    expect([...t.x]).toEqual([...s.x].map((v) => 255 - v));
  });

  it('requantizes to another model input encoding, inversion applied before', async () => {
    const feed = await source({ name: 'p', type: 'png', path: 'img', transform: 'invert' }).open({
      scale: 3 / 255,
      zeroPoint: 10,
    });
    const s = feed.sample(1);
    const base = s.y === 0 ? 10 : 240;
    const expected = [0, 1, 2, 3].map((x) => Math.min(255, Math.round((255 - base - x) / 3) + 10));
    expect([...s.x.subarray(0, 4)]).toEqual(expected);
    expect(feed).toMatchObject({ scale: 3 / 255, zeroPoint: 10 });
  });

  it('rejects invert on data that is not 8-bit images', async () => {
    writeFileSync(join(dir, 'f.csv'), 'label,a_0\n0,1\n1,2\n');
    const cfg = parseSource({ name: 'c', type: 'csv', path: 'f.csv' } as never, '$', dir);
    expect(() =>
      parseSource({ name: 'c', type: 'csv', path: 'f.csv', transform: 'invert' } as never, '$', dir),
    ).toThrow(/unknown key/);
    expect(cfg.type).toBe('csv');
  });
});

describe('mnist source', () => {
  const root = defaultDatasetsDir();
  const present = existsSync(join(root, 'mnist'));
  if (!present) console.warn(`mnist source test skipped: no data set in ${join(root, 'mnist')}`);
  it.skipIf(!present)('streams the raw test split with its own encoding, and inverted', async () => {
    const feed: SessionFeed = await source({ name: 'm', type: 'mnist', dir: root, split: 'test' }).open({
      shape: [28, 28, 1],
    });
    expect(feed).toMatchObject({ shape: [28, 28, 1], classes: 10, size: 10_000, zeroPoint: 0 });
    expect(Math.fround(feed.scale)).toBe(Math.fround(1 / 255));
    const s = feed.sample(0);
    expect(s.x.length).toBe(784);
    const inv = await source({
      name: 'm',
      type: 'mnist',
      dir: root,
      split: 'test',
      transform: 'invert',
    }).open({});
    expect([...inv.sample(0).x]).toEqual([...s.x].map((v) => 255 - v));
  });
  it('reports a missing data folder clearly', async () => {
    const src = source({ name: 'm', type: 'mnist', dir: join(dir, 'none') });
    expect(await codeOf(src.open({}))).toMatch(
      /^BAD_STATE: source m \(mnist\): data set not found: .*\$TINYFLEET_DATASETS/,
    );
  });
});
