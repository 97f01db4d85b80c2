import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph, Node, Tensor } from '../../graph/types.js';
import { qparamsFromRange, quantizeValue, quantizeWeights, toOhwi } from '../../quant/weights.js';
import { Rng } from '../../tensor/rng.js';
import { Plan } from '../plan.js';
import {
  type FakeQuantAttrs,
  fakeQuantize,
  fakeQuantizeWeights,
  RANGE_ROLE,
  type WeightQuant,
  withFakeQuant,
} from './fake-quant.js';

/** `graph` with `fq` on node `name` (and its output range starting at `range`). */
function annotate(graph: Graph, name: string, fq: FakeQuantAttrs, range?: [number, number]): Graph {
  const params: Record<string, Tensor> = { ...graph.params };
  const key = `${name}.${RANGE_ROLE}`;
  if (range) params[key] = { shape: [2], data: Float32Array.from(range) };
  const nodes = graph.nodes.map((n): Node => (n.name === name ? withFakeQuant(n, fq, range && key) : n));
  return { ...graph, nodes, params };
}

function fill(a: Float32Array, rng: Rng, lo = -1, hi = 1): void {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(lo, hi);
}

describe('fake quantization (PROTOCOL.md §6.1)', () => {
  it('quantize-dequantize equals the dequantized PTQ value; the STE mask is 0 only where it clamps', () => {
    const q = qparamsFromRange(-0.7, 2.3);
    const x = Float32Array.from({ length: 401 }, (_, i) => -1.5 + i * 0.01);
    const y = x.slice();
    const mask = new Uint8Array(x.length);
    fakeQuantize(y, y.length, q, mask);
    const loReal = q.scale * (0 - q.zeroPoint);
    const hiReal = q.scale * (255 - q.zeroPoint);
    for (let i = 0; i < x.length; i++) {
      expect(y[i]).toBe(Math.fround(q.scale * (quantizeValue(x[i]!, q) - q.zeroPoint)));
      if (x[i]! < loReal - q.scale) expect(mask[i]).toBe(0);
      else if (x[i]! > hiReal + q.scale) expect(mask[i]).toBe(0);
      else if (x[i]! > loReal && x[i]! < hiReal) expect(mask[i]).toBe(1);
    }
  });

  for (const mode of ['uint8', 'int8-per-channel'] as WeightQuant[]) {
    it(`${mode} weights are exactly the dequantized weights PTQ writes`, () => {
      const [kh, kw, cin, cout] = [3, 2, 3, 5];
      const w = new Float32Array(kh * kw * cin * cout);
      fill(w, new Rng(1));
      w[7] = 3; // one outlier: per tensor it coarsens every channel, per channel only its own
      const out = new Float32Array(w.length);
      const mask = new Uint8Array(w.length);
      fakeQuantizeWeights(w, cout, mode, out, mask);
      const per1 = kh * kw * cin;
      const ptq = quantizeWeights(
        toOhwi(w, kh, kw, cin, cout),
        [cout, kh, kw, cin],
        cout,
        (i) => Math.floor(i / per1),
        0,
        mode === 'int8-per-channel',
      );
      const fromPtq = new Float32Array(w.length);
      for (let o = 0; o < cout; o++)
        for (let k = 0; k < per1; k++) {
          const c = ptq.scales.length === 1 ? 0 : o;
          const q = ptq.data[o * per1 + k]!;
          fromPtq[k * cout + o] = ptq.scales[c]! * (q - ptq.zeroPoints[c]!);
        }
      expect(out).toEqual(fromPtq);
      expect(mask.every((m) => m === 1)).toBe(true);
      const err = Math.max(...w.map((v, i) => Math.abs(v - out[i]!)));
      expect(err).toBeGreaterThan(0);
      expect(err).toBeLessThanOrEqual(ptq.scales.reduce((a, s) => Math.max(a, s), 0) / 2 + 1e-7);
    });
  }
});

describe('fake-quant layers: straight-through gradients', () => {
  it('finite differences over many steps give slope 1 inside the range and 0 outside, as the STE', () => {
    const b = new GraphBuilder('t', [64], 0);
    const g = annotate(b.build([b.relu(b.input, 'r')]), 'r', { output: { momentum: 0 } }, [0, 2]);
    const plan = new Plan(g, { batch: 1, training: true });
    const x = Float32Array.from({ length: 64 }, (_, i) => -0.5 + i * 0.05); // -0.5 .. 2.65
    const f = (shift: number): Float32Array => {
      plan.act('input').f32.set(x.map((v) => v + shift));
      plan.forward(1, true);
      return plan.act('r').f32.slice(0, 64);
    };
    const d = 0.25; // ~32 quantization steps of 2/255
    const up = f(d);
    const down = f(-d);
    f(0);
    plan.grad('r')!.f32.fill(1);
    // the input has no consumer with parameters, so read relu's STE gradient from its dy mask instead
    plan.backward(1);
    const dy = plan.grad('r')!.f32;
    for (let i = 0; i < 64; i++) {
      const fd = (up[i]! - down[i]!) / (2 * d);
      if (x[i]! > d + 0.01 && x[i]! < 2 - d - 0.01) {
        expect(Math.abs(fd - 1)).toBeLessThan(0.04);
        expect(dy[i]).toBe(1);
      }
      if (x[i]! > 2 + d + 0.01) {
        expect(fd).toBe(0);
        expect(dy[i]).toBe(0);
      }
    }
  });

  const ops: Array<[string, number[], (b: GraphBuilder) => string]> = [
    ['conv2d', [5, 5, 3], (b) => b.conv2d(b.input, 4, 3, {}, 'op')],
    ['depthwise', [5, 5, 3], (b) => b.depthwise(b.input, 3, {}, 'op')],
    ['dense', [7], (b) => b.dense(b.input, 4, 'op')],
  ];
  for (const [label, shape, body] of ops)
    for (const mode of ['uint8', 'int8-per-channel'] as WeightQuant[]) {
      it(`${label}, ${mode}: gradients are the plain op's at the quantized weights and input, masked`, () => {
        const rng = new Rng(5);
        const b = new GraphBuilder('t', shape, 3);
        const plain = b.build([body(b)]);
        for (const t of Object.values(plain.params)) fill(t.data, rng);
        const inputQ = qparamsFromRange(-1, 1);
        const outRange: [number, number] = [-0.4, 0.5]; // narrow: some outputs clamp
        const fq = annotate(plain, 'op', { weight: mode, input: inputQ, output: { momentum: 0 } }, outRange);
        const n = 2;
        const a = new Plan(fq, { batch: n, training: true });
        fill(a.act('input').f32, rng);
        const x = a.act('input').f32.slice();
        a.forward(n, true);
        // the same by hand on the plain op: quantized weights and input, quantized output, masked dy
        const w = plain.params['op.weight']!;
        const wq = new Float32Array(w.data.length);
        fakeQuantizeWeights(w.data, w.shape[w.shape.length - 1]!, mode, wq, new Uint8Array(wq.length));
        const ref = new Plan(
          { ...plain, params: { ...plain.params, 'op.weight': { shape: w.shape, data: wq } } },
          { batch: n, training: true },
        );
        const xr = ref.act('input').f32;
        xr.set(x);
        fakeQuantize(xr, x.length, inputQ, null);
        ref.forward(n, true);
        const y = ref.act('op').f32;
        const mask = new Uint8Array(y.length);
        fakeQuantize(y, y.length, qparamsFromRange(...outRange), mask);
        expect(a.act('op').f32).toEqual(y);
        expect(mask.some((m) => m === 0)).toBe(true);
        const r = Float32Array.from(y, () => rng.uniform(-1, 1));
        a.grad('op')!.f32.set(r);
        ref.grad('op')!.f32.set(r.map((v, i) => v * mask[i]!));
        a.backward(n);
        ref.backward(n);
        const range = a.slot(`op.${RANGE_ROLE}`);
        for (const s of ref.slots) {
          const got = a.grads.f32.subarray(a.slot(s.key).offset, a.slot(s.key).offset + s.length);
          expect(got).toEqual(ref.grads.f32.subarray(s.offset, s.offset + s.length));
        }
        expect(Array.from(a.grads.f32.subarray(range.offset, range.offset + 2))).toEqual([0, 0]);
        expect(ref.grads.f32.some((v) => v !== 0)).toBe(true);
      });
    }

  it('the output range follows the batch min/max by EMA in training and stays put otherwise', () => {
    const b = new GraphBuilder('t', [4], 0);
    const g = annotate(b.build([b.dense(b.input, 3, 'op')]), 'op', { output: { momentum: 0.25 } }, [0, 0]);
    const plan = new Plan(g, { batch: 1, training: true });
    const slot = plan.slot(`op.${RANGE_ROLE}`);
    const range = () => Array.from(plan.params.f32.subarray(slot.offset, slot.offset + 2));
    plan.act('input').f32.set([1, -2, 0.5, 3]);
    plan.forward(1, false);
    expect(range()).toEqual([0, 0]);
    const W = plan.params.f32.subarray(plan.slot('op.weight').offset, plan.slot('op.weight').offset + 12);
    const x = [1, -2, 0.5, 3];
    const y = [0, 1, 2].map((o) => x.reduce((s, v, i) => s + v * W[i * 3 + o]!, 0));
    plan.forward(1, true);
    const [lo, hi] = range();
    expect(lo).toBeCloseTo(0.25 * Math.min(...y), 5);
    expect(hi).toBeCloseTo(0.25 * Math.max(...y), 5);
  });
});
