import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../quant/kernels.js';
import { Rng } from '../tensor/rng.js';
import {
  activationMask,
  avgPoolBackward,
  convBackwardInput,
  convWeightGrad,
  denseBackwardInput,
  denseWeightGrad,
  maxPoolBackward,
} from './backward.js';
import { quantizeAccumulators } from './range.js';

const NOPAD = { top: 0, left: 0, bottom: 0, right: 0 };

describe('integer backward kernels on hand-checked cases (PROTOCOL.md §6.6.3-§6.6.4)', () => {
  it('dense: error propagation and weight gradient', () => {
    // w (OI, 2x3) - 10 = [[1, 0, -1], [2, 1, 0]]; e - 100 = [3, -1]; x - 5 = [1, 2, 3]
    const w = { q: Uint8Array.of(11, 10, 9, 12, 11, 10), z: 10 };
    const e = { q: Uint8Array.of(103, 99), z: 100 };
    const acc = new Int32Array(3);
    expect(denseBackwardInput(3, 2, w, e, acc)).toBe(6);
    expect([...acc]).toEqual([3 * 1 - 2, 0 - 1, -3 + 0]);
    const g = new Int32Array(3);
    expect(denseWeightGrad(3, { q: Uint8Array.of(6, 7, 8), z: 5 }, e, Uint16Array.of(1), g)).toBe(3);
    expect([...g]).toEqual([-1, -2, -3]); // row 1: (x - 5) * (e1 - 100)
  });
  it('conv 2x2 on 3x3x1, stride 1: transposed conv and weight gradient', () => {
    const g: ConvGeometry = {
      inH: 3,
      inW: 3,
      inC: 1,
      outH: 2,
      outW: 2,
      outC: 1,
      kernel: [2, 2],
      strides: [1, 1],
      dilation: [1, 1],
      pad: NOPAD,
    };
    const w = { q: Uint8Array.of(1, 2, 3, 4), z: 0 };
    const e = { q: Uint8Array.of(1, 0, 0, 0), z: 0 }; // only output (0, 0)
    const acc = new Int32Array(9);
    expect(convBackwardInput(g, w, e, acc)).toBe(16);
    expect([...acc]).toEqual([1, 2, 0, 3, 4, 0, 0, 0, 0]);
    const x = { q: Uint8Array.from({ length: 9 }, (_, i) => i), z: 0 };
    const e2 = { q: Uint8Array.of(1, 1, 1, 1), z: 0 };
    const gw = new Int32Array(4);
    convWeightGrad(g, x, e2, [0], gw);
    // G[ky, kx] = Σ over outputs of x[oy + ky, ox + kx]
    expect([...gw]).toEqual([0 + 1 + 3 + 4, 1 + 2 + 4 + 5, 3 + 4 + 6 + 7, 4 + 5 + 7 + 8]);
  });
  it('maxpool routes to the first maximum; relu masks at the zero point', () => {
    const x = Uint8Array.of(5, 9, 9, 1); // 2x2x1, window 2
    const dx = new Uint8Array(4);
    const geom = {
      inH: 2,
      inW: 2,
      C: 1,
      outH: 1,
      outW: 1,
      window: [2, 2] as const,
      strides: [2, 2] as const,
      pad: NOPAD,
    };
    maxPoolBackward(geom, x, { q: Uint8Array.of(140), z: 128 }, dx);
    expect([...dx]).toEqual([128, 140, 128, 128]);
    const e = Uint8Array.of(10, 20, 30, 40);
    activationMask(Uint8Array.of(3, 4, 200, 250), 3, 250, e, 7);
    expect([...e]).toEqual([7, 20, 30, 7]);
    const acc = new Int32Array(4);
    avgPoolBackward(geom, { q: Uint8Array.of(132), z: 128 }, acc);
    expect([...acc]).toEqual([65536, 65536, 65536, 65536]); // 4 * 2^16 / 4
  });
  it('error requantization tracks the exact range (rate 1) and hits both ends', () => {
    const acc = Int32Array.of(-500, 0, 1000, 250);
    const r = quantizeAccumulators(acc, { a: 0.01, b: 0.02, p: 0 }, { lo: -1, hi: 1 }, 1, new Uint8Array(4));
    expect(r.q[0]).toBe(0);
    expect(r.q[2]).toBe(255);
    expect(r.q[1]).toBe(r.qp.zeroPoint);
    expect(r.range.lo).toBeCloseTo(-0.1, 6);
  });
});

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('quantized error propagation approximates the float backward', () => {
  it('cosine similarity > 0.95 on random conv and dense layers', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 5; trial++) {
      const g: ConvGeometry = {
        inH: 6,
        inW: 6,
        inC: 3,
        outH: 4,
        outW: 4,
        outC: 5,
        kernel: [3, 3],
        strides: [1, 1],
        dilation: [1, 1],
        pad: NOPAD,
      };
      const wReal = Float32Array.from({ length: 5 * 9 * 3 }, () => rng.normal() * 0.2);
      const eReal = Float32Array.from({ length: 4 * 4 * 5 }, () => rng.normal() * 0.05);
      const q = (v: Float32Array) => {
        const lo = Math.min(0, ...v);
        const hi = Math.max(0, ...v);
        const s = (hi - lo) / 255;
        const z = Math.round(-lo / s);
        return { q: Uint8Array.from(v, (x) => Math.min(255, Math.max(0, Math.round(x / s) + z))), z, s };
      };
      const wq = q(wReal);
      const eq = q(eReal);
      const acc = new Int32Array(6 * 6 * 3);
      convBackwardInput(g, wq, eq, acc);
      const out = quantizeAccumulators(
        acc,
        { a: wq.s, b: eq.s, p: 0 },
        { lo: -1, hi: 1 },
        1,
        new Uint8Array(acc.length),
      );
      const deq = Array.from(out.q, (v) => out.qp.scale * (v - out.qp.zeroPoint));
      const ref = new Float64Array(acc.length);
      const rw = { q: new Uint8Array(0), z: 0 };
      void rw;
      for (let oy = 0; oy < 4; oy++)
        for (let ox = 0; ox < 4; ox++)
          for (let o = 0; o < 5; o++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++)
                for (let c = 0; c < 3; c++)
                  ref[((oy + ky) * 6 + ox + kx) * 3 + c]! +=
                    wReal[((o * 3 + ky) * 3 + kx) * 3 + c]! * eReal[(oy * 4 + ox) * 5 + o]!;
      expect(cosine(deq, ref)).toBeGreaterThan(0.95);
      // dense
      const wd = Float32Array.from({ length: 8 * 20 }, () => rng.normal() * 0.1);
      const ed = Float32Array.from({ length: 8 }, () => rng.normal());
      const wdq = q(wd);
      const edq = q(ed);
      const accD = new Int32Array(20);
      denseBackwardInput(20, 8, wdq, edq, accD);
      const od = quantizeAccumulators(
        accD,
        { a: wdq.s, b: edq.s, p: 0 },
        { lo: -1, hi: 1 },
        1,
        new Uint8Array(20),
      );
      const refD = Array.from({ length: 20 }, (_, i) => {
        let s = 0;
        for (let o = 0; o < 8; o++) s += wd[o * 20 + i]! * ed[o]!;
        return s;
      });
      expect(
        cosine(
          Array.from(od.q, (v) => od.qp.scale * (v - od.qp.zeroPoint)),
          refD,
        ),
      ).toBeGreaterThan(0.95);
    }
  });
});
