import { decodeMessage, encodeMessage } from '@tinyfleet/protocol/messages';
import { describe, expect, it } from 'vitest';
import { dequantF32 } from './numerics.js';
import { quadrantSplit, quantized, tinyCnn } from './test-fixtures.js';
import { type FqtConfig, FqtTrainer } from './trainer.js';
import { elementIndex, updateLayer } from './update.js';

const train = quadrantSplit(400, 1);
const test = quadrantSplit(200, 2);
const q = quantized(tinyCnn(), train);
const LAYERS = [2, 4]; // c2 (conv + fused relu), fc

function config(rate: number, o: Partial<FqtConfig> = {}): FqtConfig {
  return {
    layers: LAYERS,
    lambdaMin: rate,
    lambdaMax: rate,
    learningRate: 0.005,
    batchSize: 1,
    epsMode: 'LOSS_RATIO',
    emaErrors: 1,
    emaWeights: 1,
    ...o,
  };
}

function accuracy(t: FqtTrainer): number {
  let c = 0;
  for (let i = 0; i < test.size; i++) if (t.predict(test.getRaw(i)) === test.get(i).y) c++;
  return c / test.size;
}

describe('FQT streaming training (PROTOCOL.md §6.6)', () => {
  it('raises accuracy on a small synthetic task', () => {
    const t = new FqtTrainer(q, config(1));
    const before = accuracy(t);
    for (let i = 0; i < train.size; i++) t.step([{ x: train.getRaw(i), y: train.get(i).y }]);
    const after = accuracy(t);
    expect(after).toBeGreaterThan(before + 0.3);
  });

  it('setLearningRate acts from the next step on, like a TRAIN_CONFIG lr, and refuses bad rates', () => {
    const a = new FqtTrainer(q, config(1));
    const b = new FqtTrainer(q, config(1, { learningRate: 0.02 }));
    const s0 = [{ x: train.getRaw(0), y: train.get(0).y }];
    const s1 = [{ x: train.getRaw(1), y: train.get(1).y }];
    a.step(s0);
    b.setLearningRate(0.005);
    b.step(s0);
    a.setLearningRate(0.02);
    b.setLearningRate(0.02);
    a.step(s1);
    b.step(s1);
    for (const l of LAYERS) expect([...b.params.get(l)!.w]).toEqual([...a.params.get(l)!.w]);
    expect(a.config.learningRate).toBe(0.02);
    expect(() => a.setLearningRate(0)).toThrow(/learning rate/);
    expect(() => a.setLearningRate(Number.NaN)).toThrow(/learning rate/);
    expect(a.config.learningRate).toBe(0.02);
  });

  it('the sgd rule with stochastic rounding also learns, and a seed replays bit-exactly', () => {
    const o = { update: 'sgd', rounding: 'stochastic', roundingSeed: 9, learningRate: 0.05 } as const;
    const a = new FqtTrainer(q, config(1, o));
    const b = new FqtTrainer(q, config(1, o));
    const c = new FqtTrainer(q, config(1, { ...o, roundingSeed: 10 }));
    const before = accuracy(a);
    for (let i = 0; i < train.size; i++) {
      const s = [{ x: train.getRaw(i), y: train.get(i).y }];
      a.step(s);
      b.step(s);
      c.step(s);
    }
    for (const l of LAYERS) {
      expect([...a.params.get(l)!.w]).toEqual([...b.params.get(l)!.w]);
      expect([...a.params.get(l)!.bias]).toEqual([...b.params.get(l)!.bias]);
    }
    expect(LAYERS.some((l) => a.params.get(l)!.w.join() !== c.params.get(l)!.w.join())).toBe(true);
    expect(accuracy(a)).toBeGreaterThan(before + 0.3);
  });

  it('10% updates do ~10x fewer weight-gradient MACs than 100%', () => {
    const macs = (rate: number) => {
      const t = new FqtTrainer(q, config(rate));
      let w = 0;
      for (let i = 0; i < 20; i++) w += t.step([{ x: train.getRaw(i), y: train.get(i).y }]).macs.wgrad;
      return w;
    };
    const ratio = macs(1) / macs(0.1);
    // c2 has 6 filters (k = 1 at 10%), fc 4 rows (k = 1): the ratio is bounded by k >= 1
    expect(ratio).toBeGreaterThan(4);
  });

  it('produces GRAD_UPDATE messages that round-trip through the codec, and TRAIN_METRICS fields', () => {
    for (const gradKind of ['DELTA', 'GRADIENT'] as const) {
      const t = new FqtTrainer(q, config(0.5, { gradKind, sessionId: 7 }));
      const r = t.step([{ x: train.getRaw(0), y: train.get(0).y }]);
      expect(r.gradUpdates.length).toBe(2);
      for (const m of r.gradUpdates) {
        const back = decodeMessage(encodeMessage(m));
        expect(back).toEqual(m);
        expect(m.values.length).toBe(m.indices.length * m.elements);
        expect(m.kind).toBe(gradKind);
      }
      expect(r.updateRate).toBeCloseTo((3 + 2) / (6 + 4), 6);
      expect(r.loss).toBeGreaterThan(0);
    }
  });

  it('batches of 4 accumulate every structure and update the top k', () => {
    const t = new FqtTrainer(q, config(0.5, { batchSize: 4, epsMode: 'ERROR_RATIO' }));
    const batch = [0, 1, 2, 3].map((i) => ({ x: train.getRaw(i), y: train.get(i).y }));
    const r = t.step(batch);
    expect(r.layers.map((l) => l.k)).toEqual([3, 2]);
    expect(r.layers.every((l) => l.eps === 1)).toBe(true); // first step: its own maximum
  });
});

describe('weight update and requantization (PROTOCOL.md §6.6.6)', () => {
  it('keeps every updated real weight within one scale step', () => {
    const w = Uint8Array.from({ length: 12 }, (_, i) => 20 * i + 3);
    const p = {
      w,
      wq: { scale: 0.01, zeroPoint: 100 },
      bias: new Int32Array(3),
      range: { lo: -1, hi: 1.55 },
    };
    const before = Array.from(w, (v) => dequantF32(v, p.wq));
    const grad = Float32Array.from({ length: 8 }, (_, i) => (i % 3) - 1);
    const lr = 0.05;
    const sel = Uint16Array.of(0, 2);
    updateLayer(p, {
      selected: sel,
      grad,
      biasGrad: new Float32Array(2),
      es: 4,
      index: elementIndex('oi', 3, 4),
      lr,
      rate: 1,
      inputScale: 0.02,
    });
    const gHat = (g: number[]) => {
      const m = g.reduce((a, b) => a + b) / g.length;
      const s = Math.sqrt(g.reduce((a, b) => a + (b - m) ** 2, 0) / g.length);
      return g.map((v) => (v - m) / s);
    };
    const expected = before.slice();
    for (let r = 0; r < 2; r++) {
      const gh = gHat(Array.from(grad.subarray(r * 4, r * 4 + 4)));
      for (let j = 0; j < 4; j++) expected[sel[r]! * 4 + j]! -= lr * gh[j]!;
    }
    for (let i = 0; i < 12; i++) {
      expect(Math.abs(dequantF32(w[i]!, p.wq) - expected[i]!)).toBeLessThanOrEqual(p.wq.scale);
    }
  });
});
