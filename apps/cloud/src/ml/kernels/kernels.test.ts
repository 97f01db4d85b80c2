import { describe, expect, it } from 'vitest';
import { outLength, padBefore } from '../graph/shapes.js';
import type { Padding } from '../graph/types.js';
import { Rng } from '../tensor/rng.js';
import { Arena } from './arena.js';
import { Kernels, packedSize, type WindowGeometry } from './kernels.js';
import { col2im, im2col, maxPoolRef } from './reference.js';

function geometry(
  h: number,
  w: number,
  c: number,
  k: number,
  s: number,
  d: number,
  p: Padding,
): WindowGeometry {
  return {
    h,
    w,
    c,
    kh: k,
    kw: k,
    sh: s,
    sw: s,
    dh: d,
    dw: d,
    oh: outLength(h, k, s, d, p),
    ow: outLength(w, k, s, d, p),
    padT: padBefore(h, k, s, d, p),
    padL: padBefore(w, k, s, d, p),
  };
}

const rng = new Rng(1);
function fill(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('wasm kernels match the reference', () => {
  it('gemm (normal and transposed A, bias, accumulate, ragged edges)', () => {
    const arena = new Arena();
    const k = new Kernels(arena);
    for (const [m, n, kk] of [
      [1, 1, 1],
      [7, 10, 5],
      [13, 32, 37],
      [4, 8, 4],
    ] as const) {
      const a = arena.alloc(m * kk);
      const b = arena.alloc(kk * n);
      const bias = arena.alloc(Math.ceil(n / 8) * 8);
      const bp = arena.alloc(packedSize(kk, n));
      const c = arena.alloc(m * n);
      fill(a.f32);
      fill(b.f32);
      fill(bias.f32.subarray(0, n));
      k.pack(b, n, kk, n, bp);
      fill(c.f32);
      const c0 = c.f32.slice();
      k.gemm(a, kk, bp, c, n, m, n, kk, { bias, accumulate: true });
      const ref = new Float32Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = c0[i * n + j]! + bias.f32[j]!;
          for (let p = 0; p < kk; p++) s += a.f32[i * kk + p]! * b.f32[p * n + j]!;
          ref[i * n + j] = s;
        }
      }
      expect(maxDiff(c.f32, ref)).toBeLessThan(1e-4);
      // transposed A: A(i, p) = a[p * m + i]
      k.gemm(a, m, bp, c, n, m, n, kk, { transA: true });
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < kk; p++) s += a.f32[p * m + i]! * b.f32[p * n + j]!;
          ref[i * n + j] = s;
        }
      }
      expect(maxDiff(c.f32, ref)).toBeLessThan(1e-4);
    }
  });

  const geos: WindowGeometry[] = [
    geometry(6, 6, 1, 3, 1, 1, 'valid'),
    geometry(7, 5, 3, 3, 2, 1, 'same'),
    geometry(8, 8, 4, 3, 1, 2, 'same'),
    geometry(9, 7, 6, 2, 2, 1, 'valid'),
    geometry(5, 5, 8, 5, 1, 1, 'same'),
    geometry(6, 6, 9, 3, 2, 1, 'same'),
  ];

  it('im2col and col2im', () => {
    for (const g of geos) {
      const arena = new Arena();
      const k = new Kernels(arena);
      const n = 2;
      const rows = n * g.oh * g.ow * g.kh * g.kw * g.c;
      const x = arena.alloc(n * g.h * g.w * g.c);
      const cols = arena.alloc(rows);
      fill(x.f32);
      k.im2col(g, x, cols, n);
      const ref = new Float32Array(rows);
      im2col(g, x.f32, ref, n);
      expect(maxDiff(cols.f32, ref)).toBe(0);
      fill(cols.f32);
      k.col2im(g, cols, x, n);
      const dref = new Float32Array(x.length);
      col2im(g, cols.f32, dref, n);
      expect(maxDiff(x.f32, dref)).toBeLessThan(1e-5);
    }
  });

  it('max pooling forward and backward', () => {
    for (const g0 of geos) {
      const g = {
        ...g0,
        dh: 1,
        dw: 1,
        oh: outLength(g0.h, g0.kh, g0.sh, 1, 'same'),
        ow: outLength(g0.w, g0.kw, g0.sw, 1, 'same'),
      };
      const pg = {
        ...g,
        padT: padBefore(g.h, g.kh, g.sh, 1, 'same'),
        padL: padBefore(g.w, g.kw, g.sw, 1, 'same'),
      };
      const arena = new Arena();
      const k = new Kernels(arena);
      const n = 2;
      const x = arena.alloc(n * g.h * g.w * g.c);
      const y = arena.alloc(n * g.oh * g.ow * g.c);
      const dy = arena.alloc(y.length);
      const dx = arena.alloc(x.length);
      fill(x.f32);
      fill(dy.f32);
      k.maxPool(pg, x, y, n);
      const ref = new Float32Array(y.length);
      maxPoolRef(pg, x.f32, ref, n);
      expect(maxDiff(y.f32, ref)).toBe(0);
      k.maxPoolBackward(pg, x, y, dy, dx, n);
      // every output's gradient lands on exactly one input holding the max
      let total = 0;
      for (let i = 0; i < dy.length; i++) total += dy.f32[i]!;
      let got = 0;
      for (let i = 0; i < dx.length; i++) got += dx.f32[i]!;
      expect(got).toBeCloseTo(total, 4);
    }
  });

  it('relu6 forward and backward', () => {
    const arena = new Arena();
    const k = new Kernels(arena);
    const x = arena.alloc(11);
    x.f32.set([-1, 0, 0.5, 5.9, 6, 7, -3, 2, 8, 1, 6.5]);
    const y = arena.alloc(11);
    const dy = arena.alloc(11);
    const dx = arena.alloc(11);
    dy.f32.fill(1);
    k.relu(x, y, 11, 6);
    expect(Array.from(y.f32)).toEqual([0, 0, 0.5, Math.fround(5.9), 6, 6, 0, 2, 6, 1, 6]);
    k.reluBackward(x, dy, dx, 11, 6);
    expect(Array.from(dx.f32)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0]);
  });
});
