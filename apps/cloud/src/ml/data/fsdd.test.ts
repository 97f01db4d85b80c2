import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearFsddCache, loadFsdd } from './fsdd.js';
import { sine, tempDir } from './test-fixtures.js';
import { DatasetError } from './types.js';
import { encodeWav } from './wav.js';

const TONES = [500, 1500]; // digit 0 and digit 1

/** 2 digits x 2 speakers x 7 indices: 20 test (indices 0-4), 8 train; lengths 0.2 s to 0.8 s. */
function writeSet(t: ReturnType<typeof tempDir>): void {
  for (const [digit, hz] of TONES.entries()) {
    for (const speaker of ['ann', 'bob']) {
      for (let index = 0; index < 7; index++) {
        const n = 1600 + 800 * index;
        t.write(
          `recordings/${digit}_${speaker}_${index}.wav`,
          encodeWav(sine(hz, n, 8000, speaker === 'ann' ? 0.3 : 0.6), 8000),
        );
      }
    }
  }
}

describe('loadFsdd (generated files)', () => {
  const t = tempDir();
  beforeAll(() => writeSet(t));
  afterAll(() => t.done());

  it('splits indices 0-4 into test and gives [T, C] MFCC windows', async () => {
    const ds = await loadFsdd(t.dir);
    expect([ds.train.size, ds.test.size]).toEqual([8, 20]);
    expect(ds.inputShape).toEqual([98, 13]);
    expect(ds.utterances.test.every((u) => u.index < 5)).toBe(true);
    expect(ds.utterances.train.map((u) => `${u.digit}${u.speaker}${u.index}`).slice(0, 3)).toEqual([
      '0ann5',
      '0ann6',
      '0bob5',
    ]);
    const s = ds.test.get(0);
    expect(s.x).toHaveLength(98 * 13);
    expect(s.y).toBe(0);
    expect((await loadFsdd(t.dir, { layout: 'image' })).inputShape).toEqual([98, 13, 1]);
  });

  it('normalises with train statistics only: train real frames have mean 0 and std 1', async () => {
    const ds = await loadFsdd(t.dir, { cache: false });
    const C = 13;
    const sum = new Float64Array(C);
    const sq = new Float64Array(C);
    let n = 0;
    ds.utterances.train.forEach((u, i) => {
      const x = ds.train.get(i).x;
      const off = Math.floor((98 - u.frames) / 2);
      for (let f = 0; f < u.frames; f++) {
        n++;
        for (let c = 0; c < C; c++) {
          const v = x[(off + f) * C + c] as number;
          sum[c] = (sum[c] as number) + v;
          sq[c] = (sq[c] as number) + v * v;
        }
      }
    });
    for (let c = 0; c < C; c++) {
      expect((sum[c] as number) / n).toBeCloseTo(0, 4);
      expect(Math.sqrt((sq[c] as number) / n)).toBeCloseTo(1, 3);
    }
    // a loud test recording does not move the statistics
    const t2 = tempDir();
    writeSet(t2);
    t2.write('recordings/1_zed_0.wav', encodeWav(sine(3000, 8000, 8000, 0.99), 8000));
    const ds2 = await loadFsdd(t2.dir, { cache: false });
    t2.done();
    expect(ds2.test.size).toBe(21);
    expect(ds2.normalisation.mean).toEqual(ds.normalisation.mean);
  });

  it('pads short and crops long utterances around their centre; featurize reproduces get()', async () => {
    const ds = await loadFsdd(t.dir, { numFrames: 30 });
    const long = ds.utterances.test.findIndex((u) => u.frames > 30);
    expect(long).toBeGreaterThanOrEqual(0);
    const short = ds.utterances.test.findIndex((u) => u.frames < 28);
    const x = ds.test.get(short).x;
    expect([...x.subarray(0, 13)].every((v) => v === 0)).toBe(true); // padding = train mean = 0
    const u = ds.utterances.test[3];
    const n = u?.index ?? 0;
    const samples = sine(TONES[0] as number, 1600 + 800 * n, 8000, 0.3);
    const again = ds.featurize(Float32Array.from(samples, (v) => Math.round(v * 32768) / 32768));
    expect(Math.max(...again.map((v, i) => Math.abs(v - (ds.test.get(3).x[i] as number))))).toBeLessThan(
      1e-4,
    );
  });

  it('caches features per folder and parameters', async () => {
    const a = await loadFsdd(t.dir);
    const b = await loadFsdd(t.dir, { layout: 'image' });
    expect(b.normalisation.mean).toBe(a.normalisation.mean);
    const c = await loadFsdd(t.dir, { frontEnd: { features: 'logmel' } });
    expect(c.inputShape).toEqual([98, 40]);
    clearFsddCache();
    expect((await loadFsdd(t.dir)).normalisation.mean).not.toBe(a.normalisation.mean);
  });
});

describe('loadFsdd errors', () => {
  async function errorFor(files: Record<string, Buffer>): Promise<DatasetError> {
    const t = tempDir();
    try {
      for (const [name, data] of Object.entries(files)) t.write(name, data);
      await loadFsdd(t.dir, { cache: false });
    } catch (e) {
      if (e instanceof DatasetError) return e;
      throw e;
    } finally {
      t.done();
    }
    throw new Error('expected a DatasetError');
  }
  const ok = encodeWav(sine(500, 2000), 8000);

  it('names the offending file', async () => {
    const stereo = Buffer.from(ok);
    stereo.writeUInt16LE(2, 22);
    const e1 = await errorFor({ '0_a_0.wav': ok, '1_a_0.wav': stereo });
    expect([e1.code, e1.path.endsWith('1_a_0.wav')]).toEqual(['unsupported', true]);
    const e2 = await errorFor({ '0_a_0.wav': ok, '0_a_1.wav': encodeWav(sine(500, 2000), 16000) });
    expect(e2.message).toMatch(/sample rate 16000 Hz, expected 8000 Hz/);
    const e3 = await errorFor({ '0_a_0.wav': ok, 'hello.wav': ok });
    expect(e3.message).toMatch(/\{digit\}_\{speaker\}_\{index\}/);
    const e4 = await errorFor({ '0_a_0.wav': ok.subarray(0, 60) });
    expect(e4.message).toMatch(/truncated/);
    expect((await errorFor({ 'readme.txt': Buffer.from('x') })).code).toBe('not_found');
    await expect(loadFsdd('/nonexistent/fsdd')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('loadFsdd options', () => {
  it('rejects impossible front-end parameters and lengths before reading files', async () => {
    await expect(loadFsdd('/nonexistent', { frontEnd: { fftSize: 100 } })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/bad front-end parameters/),
    });
    await expect(loadFsdd('/nonexistent', { numFrames: 0 })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
