import { describe, expect, it } from 'vitest';
import { add, addParams, concat, exp2NegQ20, relu, relu6Max, SOFTMAX_OUT, softmax } from './elementwise.js';
import {
  conv2d,
  dense,
  depthwiseConv2d,
  globalAvgPool,
  pool,
  roundedDiv,
  type WeightedArgs,
} from './kernels.js';
import { deriveRequant } from './requant.js';

const full = { actMin: 0, actMax: 255 };
const noPad = { top: 0, left: 0, bottom: 0, right: 0 };
const unit = deriveRequant(1, 1, 1); // ratio 1

function args(x: number[], w: number[], o: Partial<WeightedArgs> = {}): WeightedArgs {
  return {
    x: Uint8Array.from(x),
    xZero: 0,
    w: Uint8Array.from(w),
    wZero: Int32Array.of(0),
    bias: new Int32Array(8),
    requant: [unit],
    yZero: 0,
    clamp: full,
    ...o,
  };
}

describe('weighted kernels (PROTOCOL.md §6.3.2-§6.3.4)', () => {
  it('conv2d: zero points, padding taps contribute 0, bias and clamp', () => {
    // 2x2x1 input, 2x2 kernel, 1 filter, same-ish padding (bottom/right 1) -> 2x2 output
    const geom = {
      inH: 2,
      inW: 2,
      inC: 1,
      outH: 2,
      outW: 2,
      outC: 1,
      kernel: [2, 2] as const,
      strides: [1, 1] as const,
      dilation: [1, 1] as const,
      pad: { top: 0, left: 0, bottom: 1, right: 1 },
    };
    const y = new Uint8Array(4);
    // x - 10 = [1, 2, 3, 4]; w - 1 = [1, 0, 0, 1]; bias 5; y zero 100
    conv2d(
      geom,
      args([11, 12, 13, 14], [2, 1, 1, 2], {
        xZero: 10,
        wZero: Int32Array.of(1),
        bias: Int32Array.of(5),
        yZero: 100,
      }),
      y,
    );
    expect([...y]).toEqual([100 + 1 + 4 + 5, 100 + 2 + 5, 100 + 3 + 5, 100 + 4 + 5]);
    conv2d(
      geom,
      args([11, 12, 13, 14], [2, 1, 1, 2], {
        xZero: 10,
        wZero: Int32Array.of(1),
        bias: Int32Array.of(5),
        yZero: 100,
        clamp: { actMin: 108, actMax: 109 },
      }),
      y,
    );
    expect([...y]).toEqual([109, 108, 108, 109]);
  });
  it('conv2d: int8 per-channel weights with per-channel requantization, stride and saturation', () => {
    const geom = {
      inH: 1,
      inW: 3,
      inC: 1,
      outH: 1,
      outW: 2,
      outC: 2,
      kernel: [1, 1] as const,
      strides: [1, 2] as const,
      dilation: [1, 1] as const,
      pad: noPad,
    };
    const y = new Uint8Array(4);
    const a = args([10, 0, 200], [], {
      w: Int8Array.of(-3, 2),
      wZero: Int32Array.of(0, 0),
      requant: [unit, deriveRequant(0.5, 1, 1)],
      yZero: 128,
    });
    conv2d(geom, a, y);
    // x=10: ch0 128-30=98, ch1 128+10=138; x=200: ch0 128-600 -> 0, ch1 128+200 -> 255
    expect([...y]).toEqual([98, 138, 0, 255]);
  });
  it('conv2d with dilation 2', () => {
    const geom = {
      inH: 1,
      inW: 5,
      inC: 1,
      outH: 1,
      outW: 3,
      outC: 1,
      kernel: [1, 2] as const,
      strides: [1, 1] as const,
      dilation: [1, 2] as const,
      pad: noPad,
    };
    const y = new Uint8Array(3);
    conv2d(geom, args([1, 2, 3, 4, 5], [1, 10]), y);
    expect([...y]).toEqual([31, 42, 53]);
  });
  it('depthwise: one filter per channel', () => {
    const geom = {
      inH: 1,
      inW: 2,
      inC: 2,
      outH: 1,
      outW: 1,
      outC: 2,
      kernel: [1, 2] as const,
      strides: [1, 1] as const,
      dilation: [1, 1] as const,
      pad: noPad,
    };
    const y = new Uint8Array(2);
    // x (w0: c0=1,c1=2; w1: c0=3,c1=4); weights 1HWC: [kx0: 1, 2; kx1: 3, 4]
    depthwiseConv2d(geom, args([1, 2, 3, 4], [1, 2, 3, 4]), y);
    expect([...y]).toEqual([1 * 1 + 3 * 3, 2 * 2 + 4 * 4]);
  });
  it('dense: rows OI, negative accumulators rounded by §6.2', () => {
    const y = new Uint8Array(2);
    dense(
      3,
      2,
      args([1, 2, 3], [1, 1, 1, 0, 0, 9], {
        wZero: Int32Array.of(1),
        requant: [deriveRequant(0.25, 1, 1)],
        yZero: 50,
        bias: Int32Array.of(-6, 2),
      }),
      y,
    );
    // row0: 0 - 6 = -6 -> -1.5 -> -2 (RDBP away from zero); row1: (-1-2+24) + 2 = 23 -> 5.75 -> 6
    expect([...y]).toEqual([48, 56]);
  });
});

describe('pools (PROTOCOL.md §6.3.6-§6.3.7)', () => {
  const geom = {
    inH: 2,
    inW: 3,
    C: 1,
    outH: 1,
    outW: 2,
    window: [2, 2] as const,
    strides: [1, 2] as const,
    pad: { top: 0, left: 0, bottom: 0, right: 1 },
  };
  it('max pool ignores padding', () => {
    const y = new Uint8Array(2);
    pool('max', geom, full, Uint8Array.of(1, 9, 3, 4, 5, 6), y);
    expect([...y]).toEqual([9, 6]);
  });
  it('avg pool divides by the in-bounds count, ties away from zero', () => {
    const y = new Uint8Array(2);
    pool('avg', geom, full, Uint8Array.of(1, 2, 3, 4, 5, 6), y);
    expect([...y]).toEqual([3, 5]); // 12/4 = 3; (3+6)/2 = 4.5 -> 5
    expect(roundedDiv(-9, 2)).toBe(-5);
    expect(roundedDiv(7, 3)).toBe(2);
  });
  it('global average pool', () => {
    const y = new Uint8Array(2);
    globalAvgPool(3, 2, Uint8Array.of(1, 10, 2, 20, 2, 31), y);
    expect([...y]).toEqual([2, 20]); // 5/3 = 1.67 -> 2, 61/3 = 20.3 -> 20
  });
});

describe('element-wise ops (PROTOCOL.md §6.3.5, §6.3.8-§6.3.11)', () => {
  it('relu and relu6 clamp in the quantized domain', () => {
    const q = { scale: Math.fround(0.05), zeroPoint: 20 };
    expect(relu6Max(q)).toBe(140);
    const y = new Uint8Array(4);
    relu('relu', q, Uint8Array.of(0, 20, 150, 255), y);
    expect([...y]).toEqual([20, 20, 150, 255]);
    relu('relu6', q, Uint8Array.of(0, 20, 150, 255), y);
    expect([...y]).toEqual([20, 20, 140, 140]);
    expect(relu6Max({ scale: 0.01, zeroPoint: 0 })).toBe(255);
  });
  it('add with two input scales', () => {
    const qa = { scale: Math.fround(0.1), zeroPoint: 10 };
    const qb = { scale: Math.fround(0.2), zeroPoint: 0 };
    const qy = { scale: Math.fround(0.3), zeroPoint: 5 };
    const y = new Uint8Array(4);
    const a = Uint8Array.of(10, 40, 0, 255);
    const b = Uint8Array.of(0, 15, 0, 255);
    add(addParams(qa, qb, qy), qa, qb, qy, a, b, y);
    const real = (i: number) => (qa.scale * (a[i]! - 10) + qb.scale * b[i]!) / qy.scale + 5;
    for (let i = 0; i < 4; i++)
      expect(Math.abs(y[i]! - Math.min(255, Math.max(0, real(i))))).toBeLessThanOrEqual(0.5 + 1e-6);
    expect([...y]).toEqual([5, 25, 2, 255]);
  });
  it('concat requantizes inputs whose qparams differ', () => {
    const qy = { scale: 0.5, zeroPoint: 0 };
    const y = new Uint8Array(6);
    concat(
      [
        { x: Uint8Array.of(1, 2), q: qy, channels: 1 },
        { x: Uint8Array.of(13, 14, 200, 201), q: { scale: 0.25, zeroPoint: 10 }, channels: 2 },
      ],
      qy,
      2,
      y,
    );
    expect([...y]).toEqual([1, 2, 2, 2, 95, 96]); // (13-10)/2 = 1.5 -> 2; (4)/2 = 2; 190/2; 191/2 = 95.5 -> 96
  });
  it('softmax: exp table, uniform and peaked rows', () => {
    expect(exp2NegQ20(0)).toBe(1 << 20);
    expect(exp2NegQ20(65536)).toBe(1 << 19);
    expect(Math.abs(exp2NegQ20(32768) - 2 ** 20 / Math.SQRT2)).toBeLessThan(2);
    expect(exp2NegQ20(40 * 65536)).toBe(0);
    const y = new Uint8Array(8);
    softmax({ scale: 0.1, zeroPoint: 0 }, 4, Uint8Array.of(7, 7, 7, 7, 255, 0, 0, 0), y);
    expect([...y]).toEqual([64, 64, 64, 64, 255, 0, 0, 0]);
    const z = new Uint8Array(3);
    const x = Uint8Array.of(10, 20, 30);
    softmax({ scale: Math.fround(0.1), zeroPoint: 3 }, 3, x, z);
    const e = [...x].map((v) => Math.exp(0.1 * v));
    const s = e.reduce((p, v) => p + v, 0);
    for (const [i, v] of e.entries()) expect(Math.abs(z[i]! - (256 * v) / s)).toBeLessThanOrEqual(1);
    expect(SOFTMAX_OUT.zeroPoint).toBe(0);
  });
});
