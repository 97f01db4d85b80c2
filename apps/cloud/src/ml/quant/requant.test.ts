import { describe, expect, it } from 'vitest';
import { QuantError } from './errors.js';
import {
  decodeScale,
  deriveRequant,
  INT32_MAX,
  INT32_MIN,
  rdbp,
  requantize,
  requantValue,
  srdhm,
} from './requant.js';

/** PROTOCOL.md §6.2.3 with BigInt, as C would do it with int64: (ab + nudge) / 2^31, truncating. */
function srdhmRef(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

/** PROTOCOL.md §6.2.4 in C form on int32. */
function rdbpRef(x: number, e: number): number {
  const mask = e === 0 ? 0 : Number((1n << BigInt(e)) - 1n);
  const rem = Number(BigInt(x) & BigInt(mask));
  const threshold = Math.floor(mask / 2) + (x < 0 ? 1 : 0);
  return Number(BigInt(x) >> BigInt(e)) + (rem > threshold ? 1 : 0);
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s | 0;
  };
}

describe('srdhm (PROTOCOL.md §6.2.3)', () => {
  it('matches the int64 definition on edges and random int32 pairs', () => {
    const edges = [0, 1, -1, 2, -2, INT32_MIN, INT32_MAX, 1 << 30, -(1 << 30), 12345, -98765];
    for (const a of edges) for (const b of edges) expect(srdhm(a, b)).toBe(srdhmRef(a, b));
    const r = lcg(7);
    for (let i = 0; i < 20000; i++) {
      const a = r();
      const b = r();
      expect(srdhm(a, b)).toBe(srdhmRef(a, b));
    }
  });
  it('saturates INT32_MIN * INT32_MIN and rounds ties toward +infinity', () => {
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(srdhm(1, 1 << 30)).toBe(1); // 0.5 -> 1
    expect(srdhm(-1, 1 << 30)).toBe(0); // -0.5 -> 0
    expect(srdhm(-3, 1 << 30)).toBe(-1); // -1.5 -> -1
  });
});

describe('rdbp (PROTOCOL.md §6.2.4)', () => {
  it('rounds ties away from zero', () => {
    expect(rdbp(5, 1)).toBe(3);
    expect(rdbp(-5, 1)).toBe(-3);
    expect(rdbp(6, 2)).toBe(2);
    expect(rdbp(-6, 2)).toBe(-2);
    expect(rdbp(-7, 2)).toBe(-2);
    expect(rdbp(INT32_MIN, 31)).toBe(-1);
    expect(rdbp(INT32_MAX, 31)).toBe(1);
  });
  it('matches the C form on random values', () => {
    const r = lcg(3);
    for (let i = 0; i < 5000; i++) {
      const x = r();
      const e = (r() >>> 0) % 32;
      expect(rdbp(x, e)).toBe(rdbpRef(x, e));
    }
  });
});

describe('deriveRequant (PROTOCOL.md §6.2.2)', () => {
  it('is exact for powers of two and their products', () => {
    expect(deriveRequant(0.5, 1, 1)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(deriveRequant(1, 1, 1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(deriveRequant(0.25, 0.5, 4)).toEqual({ multiplier: 2 ** 30, shift: -4 });
    expect(deriveRequant(3, 1, 1, -1)).toEqual({ multiplier: 3 * 2 ** 29, shift: 1 });
  });
  it('approximates a ratio within 2^-30 relative', () => {
    const r = lcg(11);
    for (let i = 0; i < 500; i++) {
      const s = () => Math.fround(((r() >>> 0) / 2 ** 32) * 0.1 + 1e-4);
      const [a, b, c] = [s(), s(), s()];
      const req = deriveRequant(a, b, c);
      expect(req.multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(req.multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(requantValue(req) / ((a * b) / c) - 1)).toBeLessThan(2 ** -29);
    }
  });
  it('handles subnormal scales, rejects huge ratios and zeroes tiny ones', () => {
    expect(decodeScale(2 ** -149)).toEqual({ m: 2 ** 23, e: -172 });
    expect(deriveRequant(2 ** -140, 1, 2 ** -141)).toEqual({ multiplier: 2 ** 30, shift: 2 });
    expect(() => deriveRequant(2 ** 40, 1, 1e-3)).toThrow(QuantError);
    expect(() => deriveRequant(0, 1, 1)).toThrow(QuantError);
    expect(() => deriveRequant(Number.NaN, 1, 1)).toThrow(QuantError);
    expect(deriveRequant(1e-20, 1, 1)).toEqual({ multiplier: 0, shift: 0 });
  });
});

describe('requantize (PROTOCOL.md §6.2.5)', () => {
  it('scales, rounds and saturates', () => {
    const half = deriveRequant(0.5, 1, 1);
    expect(requantize(3, half)).toBe(2); // 1.5 -> 2 (SRDHM tie up)
    expect(requantize(-3, half)).toBe(-1); // -1.5 -> -1
    const quarter = deriveRequant(0.25, 1, 1);
    expect(requantize(2, quarter)).toBe(1); // 0.5 -> 1 (RDBP away from zero)
    expect(requantize(-2, quarter)).toBe(-1);
    const big = deriveRequant(1000, 1, 1);
    expect(requantize(1 << 30, big)).toBe(Math.round(INT32_MAX * (1000 / 1024)));
    expect(requantize(-(1 << 30), big)).toBe(-Math.round(2 ** 31 * (1000 / 1024)));
    expect(requantize(12345, { multiplier: 0, shift: 0 })).toBe(0);
  });
  it('is within 1 of round(x * ratio)', () => {
    const r = lcg(5);
    for (let i = 0; i < 2000; i++) {
      const ratio = Math.fround(((r() >>> 0) / 2 ** 32) * 2 + 1e-3);
      const x = r() % 100000;
      expect(Math.abs(requantize(x, deriveRequant(ratio, 1, 1)) - x * ratio)).toBeLessThanOrEqual(1);
    }
  });
});
