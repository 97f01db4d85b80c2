import { describe, expect, it } from 'vitest';
import { sine } from '../test-fixtures.js';
import { AudioFrontEnd, DEFAULT_FRONT_END } from './frontend.js';

const logmel = new AudioFrontEnd({ ...DEFAULT_FRONT_END, features: 'logmel' });
const mfcc = new AudioFrontEnd(DEFAULT_FRONT_END);

function meanOverFrames(data: Float32Array, channels: number): Float64Array {
  const m = new Float64Array(channels);
  const n = data.length / channels;
  for (let i = 0; i < data.length; i++)
    m[i % channels] = (m[i % channels] as number) + (data[i] as number) / n;
  return m;
}

describe('AudioFrontEnd', () => {
  it('counts frames of 25 ms with a 10 ms hop (1 s -> 98)', () => {
    expect(mfcc.frameCount(8000)).toBe(98);
    expect(mfcc.frameCount(200)).toBe(1);
    expect(mfcc.frameCount(50)).toBe(1);
    expect(mfcc.frameCount(280)).toBe(2);
    expect(mfcc.compute(new Float32Array(8000)).data).toHaveLength(98 * 13);
  });

  it.each([300, 1000, 2500])('puts a %i Hz tone in the mel band centred on it', (hz) => {
    const frames = logmel.compute(sine(hz, 4000));
    expect(frames.channels).toBe(40);
    const m = meanOverFrames(frames.data, 40);
    const best = m.indexOf(Math.max(...m));
    const centres = logmel.filters.map((f) => f.centreHz);
    const nearest = centres.reduce(
      (b, c, i) => (Math.abs(c - hz) < Math.abs((centres[b] as number) - hz) ? i : b),
      0,
    );
    expect(Math.abs(best - nearest)).toBeLessThanOrEqual(1);
    // far bands are much weaker (log energy, natural log)
    expect((m[best] as number) - (m[(best + 15) % 40] as number)).toBeGreaterThan(5);
  });

  it('maps silence to the log floor, and MFCC of a flat log-mel keeps only c0', () => {
    const silent = logmel.compute(new Float32Array(800));
    expect([...silent.data].every((v) => Math.abs(v - Math.log(1e-6)) < 1e-5)).toBe(true);
    const c = mfcc.compute(new Float32Array(800));
    expect(c.data[0]).toBeCloseTo(Math.log(1e-6) * Math.sqrt(40), 3);
    for (let k = 1; k < 13; k++) expect(Math.abs(c.data[k] as number)).toBeLessThan(1e-4);
  });

  it('is deterministic and rejects impossible configurations', () => {
    const x = sine(700, 1600);
    expect(mfcc.compute(x).data).toEqual(mfcc.compute(x).data);
    expect(() => new AudioFrontEnd({ ...DEFAULT_FRONT_END, fftSize: 128 })).toThrow(RangeError);
    expect(() => new AudioFrontEnd({ ...DEFAULT_FRONT_END, numCoeffs: 41 })).toThrow(RangeError);
  });
});
