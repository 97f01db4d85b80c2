import { describe, expect, it } from 'vitest';
import { dequantF32, f32, quantizeStochasticF32, roundStochastic, Xorshift32 } from './numerics.js';
import { elementIndex, type LayerParams, updateLayer } from './update.js';

describe('xorshift32 and stochastic rounding (PROTOCOL.md §6.6.10)', () => {
  it('xorshift32 (13, 17, 5) gives the reference stream; seed 0 is replaced', () => {
    const r = new Xorshift32(1);
    expect([r.next(), r.next(), r.next()]).toEqual([270369, 67634689, 2647435461]);
    expect(new Xorshift32(0).state).toBe(0x9e3779b9);
    const a = new Xorshift32(42);
    const b = new Xorshift32(42);
    for (let i = 0; i < 1000; i++) expect(a.next()).toBe(b.next());
  });

  it('rounds up when frac > u = (r >>> 8) * 2^-24; integers stay put', () => {
    expect(roundStochastic(2.25, 0)).toBe(3); // u = 0
    expect(roundStochastic(2.25, 0xffffffff)).toBe(2); // u = 1 - 2^-24
    expect(roundStochastic(2.25, 0x40000000)).toBe(2); // u = 0.25, frac not > u
    expect(roundStochastic(2.25, 0x3fffff00)).toBe(3); // u = 0.25 - 2^-24
    expect(roundStochastic(-1.75, 0x40000000)).toBe(-2 + 0); // frac 0.25 vs u 0.25 -> floor
    expect(roundStochastic(-1.75, 0)).toBe(-1);
    for (const r of [0, 1, 0x80000000, 0xffffffff]) expect(roundStochastic(7, r)).toBe(7);
  });

  it('is unbiased: the mean of many draws is v', () => {
    const rng = new Xorshift32(7);
    const q = { scale: f32(0.01), zeroPoint: 100 };
    const v = f32(0.0123); // 1.23 steps
    let s = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) s += quantizeStochasticF32(v, q, rng.next()) - 100;
    expect(s / n).toBeCloseTo(1.23, 1);
  });

  it('an update of a tenth of a step moves weights on average by a tenth of a step, reproducibly', () => {
    const run = (seed: number) => {
      const p: LayerParams = {
        w: new Uint8Array(400).fill(128),
        wq: { scale: f32(0.01), zeroPoint: 128 },
        bias: new Int32Array(4),
        range: { lo: f32(0.01 * -128), hi: f32(0.01 * 127) },
      };
      // every row: half +1, half -1 -> ĝ = ±1 exactly; lr = 0.001 = a tenth of the scale
      const grad = Float32Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 1 : -1));
      updateLayer(p, {
        selected: Uint16Array.of(0, 1, 2, 3),
        grad,
        biasGrad: new Float32Array(4),
        es: 100,
        index: elementIndex('oi', 4, 100),
        lr: 0.001,
        rate: 0, // keep the weight range: the scale does not change
        inputScale: 0.02,
        rng: new Xorshift32(seed),
      });
      return p;
    };
    const a = run(3);
    const b = run(3);
    expect([...a.w]).toEqual([...b.w]);
    let down = 0;
    let up = 0;
    for (let i = 0; i < 400; i++) {
      const d = dequantF32(a.w[i]!, a.wq) - dequantF32(128, a.wq);
      if (i % 2 === 0) down += d;
      else up += d;
    }
    // expected mean move: -0.001 for even (ĝ = +1), +0.001 for odd; nearest rounding would give 0
    expect(down / 200).toBeLessThan(-0.0005);
    expect(up / 200).toBeGreaterThan(0.0005);
    expect([...run(4).w]).not.toEqual([...a.w]);
  });
});

describe('update rules (PROTOCOL.md §6.6.10)', () => {
  const params = (): LayerParams => ({
    w: new Uint8Array(8).fill(128),
    wq: { scale: f32(0.01), zeroPoint: 128 },
    bias: new Int32Array(2),
    range: { lo: f32(0.01 * -128), hi: f32(0.01 * 127) },
  });
  const grad = Float32Array.of(1, 2, 3, 6, 0, 0, 0, 0);
  const run = (mode: 'standardized' | 'centered' | 'sgd', lr: number) => {
    const p = params();
    updateLayer(p, {
      selected: Uint16Array.of(0),
      grad: grad.subarray(0, 4),
      biasGrad: Float32Array.of(0.5),
      es: 4,
      index: elementIndex('oi', 2, 4),
      lr,
      biasLr: 0.02,
      rate: 0,
      inputScale: 0.5,
      mode,
    });
    return p;
  };
  it('sgd moves by lr * g, centered by lr * (g - mean), standardized by lr * ĝ (in weight steps)', () => {
    expect([...run('sgd', 0.01).w.subarray(0, 4)]).toEqual([127, 126, 125, 122]);
    expect([...run('centered', 0.01).w.subarray(0, 4)]).toEqual([130, 129, 128, 125]);
    // ĝ = (g - 3) / sqrt(3.5): -1.07, -0.53, 0, 1.60 -> steps of lr = 0.01
    expect([...run('standardized', 0.01).w.subarray(0, 4)]).toEqual([129, 129, 128, 126]);
  });
  it('the bias follows lr_b, not lr', () => {
    // b_real = 0 - 0.02 * 0.5 = -0.01; bias scale 0.5 * 0.01 = 0.005 -> -2
    expect(run('sgd', 0.01).bias[0]).toBe(-2);
    expect(run('sgd', 0.01).bias[1]).toBe(0);
  });
});
