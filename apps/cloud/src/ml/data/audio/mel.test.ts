import { describe, expect, it } from 'vitest';
import { DEFAULT_FRONT_END } from './frontend.js';
import { applyMel, dctMatrix, hzToMel, melFilterBank, melToHz } from './mel.js';

describe('mel scale', () => {
  it('is the HTK formula and inverts', () => {
    expect(hzToMel(0)).toBe(0);
    expect(hzToMel(1000)).toBeCloseTo(999.99, 1);
    for (const hz of [20, 440, 3999]) expect(melToHz(hzToMel(hz))).toBeCloseTo(hz, 6);
  });
});

describe('melFilterBank', () => {
  const cfg = { ...DEFAULT_FRONT_END, numFilters: DEFAULT_FRONT_END.numMel };
  const bank = melFilterBank(cfg);

  it('has numFilters non-empty triangles with increasing centres, peaking at most 1', () => {
    expect(bank).toHaveLength(40);
    let prev = 0;
    for (const f of bank) {
      expect(f.weights.length).toBeGreaterThan(0);
      expect(Math.max(...f.weights)).toBeLessThanOrEqual(1);
      expect(f.weights.every((w) => w > 0)).toBe(true);
      expect(f.centreHz).toBeGreaterThan(prev);
      prev = f.centreHz;
    }
    expect(bank[0]?.centreHz).toBeGreaterThan(20);
    expect(bank[39]?.centreHz).toBeLessThan(4000);
  });

  it('routes a single FFT bin to the filters that cover it', () => {
    const power = new Float64Array(129);
    const bin = 32; // 1000 Hz at 8 kHz / 256
    power[bin] = 1;
    const out = new Float64Array(40);
    applyMel(bank, power, out);
    const best = out.indexOf(Math.max(...out));
    expect(Math.abs((bank[best]?.centreHz ?? 0) - 1000)).toBeLessThan(60);
    expect(out.filter((v) => v > 0).length).toBeLessThanOrEqual(2);
  });

  it('rejects a range beyond Nyquist', () => {
    expect(() => melFilterBank({ ...cfg, highHz: 5000 })).toThrow(RangeError);
  });
});

describe('dctMatrix', () => {
  it('has orthonormal rows', () => {
    const n = 40;
    const d = dctMatrix(n, n);
    for (let a = 0; a < n; a += 7) {
      for (let b = 0; b < n; b += 5) {
        let dot = 0;
        for (let m = 0; m < n; m++) dot += (d[a * n + m] as number) * (d[b * n + m] as number);
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 9);
      }
    }
  });
});
