import { describe, expect, it } from 'vitest';
import { seededRandom } from '../split.js';
import { ComplexFft, RealFft } from './fft.js';

/** Direct O(N^2) DFT, the reference. */
function dft(re: ArrayLike<number>, im: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const out = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * k * t) / n;
      const xr = re[t] as number;
      const xi = im[t] as number;
      out.re[k] = (out.re[k] as number) + xr * Math.cos(a) - xi * Math.sin(a);
      out.im[k] = (out.im[k] as number) + xr * Math.sin(a) + xi * Math.cos(a);
    }
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('ComplexFft', () => {
  it.each([1, 2, 4, 8, 16, 64, 256])('matches a direct DFT at size %i', (n) => {
    const rand = seededRandom(n);
    const re = Float64Array.from({ length: n }, () => rand() - 0.5);
    const im = Float64Array.from({ length: n }, () => rand() - 0.5);
    const ref = dft(re, im);
    new ComplexFft(n).transform(re, im);
    expect(maxDiff(re, ref.re)).toBeLessThan(1e-9);
    expect(maxDiff(im, ref.im)).toBeLessThan(1e-9);
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => new ComplexFft(12)).toThrow(RangeError);
  });
});

describe('RealFft', () => {
  it.each([4, 8, 32, 256])('matches a direct DFT of a real signal at size %i', (n) => {
    const rand = seededRandom(100 + n);
    const x = Float64Array.from({ length: n }, () => rand() - 0.5);
    const ref = dft(x, new Float64Array(n));
    const fft = new RealFft(n);
    const re = new Float64Array(fft.bins);
    const im = new Float64Array(fft.bins);
    fft.transform(x, re, im);
    expect(fft.bins).toBe(n / 2 + 1);
    expect(maxDiff(re, ref.re, fft.bins)).toBeLessThan(1e-9);
    expect(maxDiff(im, ref.im, fft.bins)).toBeLessThan(1e-9);
  });

  it('zero-pads a short input and gives the power spectrum', () => {
    const fft = new RealFft(16);
    const x = [1, 2, 3];
    const ref = dft([...x, ...new Array<number>(13).fill(0)], new Float64Array(16));
    const power = new Float64Array(fft.bins);
    fft.powerSpectrum(x, power, new Float64Array(fft.bins), new Float64Array(fft.bins));
    for (let k = 0; k < fft.bins; k++) {
      expect(power[k]).toBeCloseTo((ref.re[k] as number) ** 2 + (ref.im[k] as number) ** 2, 9);
    }
  });

  it('rejects sizes below 4 or not powers of two', () => {
    expect(() => new RealFft(2)).toThrow(RangeError);
    expect(() => new RealFft(200)).toThrow(RangeError);
  });
});
