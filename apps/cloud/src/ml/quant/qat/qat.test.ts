import { describe, expect, it } from 'vitest';
import type { DataSplit } from '../../data/types.js';
import { fakeQuantOf } from '../../engine/ops/fake-quant.js';
import { Plan } from '../../engine/plan.js';
import type { Graph } from '../../graph/types.js';
import { calibrate } from '../calibrate.js';
import { Interpreter } from '../interpreter.js';
import { postTrainingQuantize, prepareFloatGraph } from '../ptq.js';
import { allOpsModel, seriesModel, syntheticSplit } from '../test-models.js';
import type { QGraph } from '../types.js';
import { qparamsFromRange, quantizeValue } from '../weights.js';
import { qat } from './qat.js';
import { fakeQuantGraph, stripFakeQuant } from './transform.js';

/** How far a float graph's `logits`, quantized, are from the integer model's, over `data`. */
function lsbOff(graph: Graph, q: QGraph, data: DataSplit, logits: string): { off: number; worst: number } {
  const plan = new Plan(graph, { batch: 1, training: false });
  const interp = new Interpreter(q);
  const inQ = q.values.get(q.input)!.q;
  const outQ = q.values.get(logits)!.q;
  let off = 0;
  let worst = 0;
  let total = 0;
  for (let i = 0; i < data.size; i++) {
    const x = data.get(i).x;
    plan.act(plan.inputName).f32.set(x);
    plan.forward(1, false);
    const f = plan.act(logits).f32;
    const y = interp.runAll(Uint8Array.from(x, (v) => quantizeValue(v, inQ))).get(logits)!;
    for (let c = 0; c < y.length; c++) {
      const d = Math.abs(quantizeValue(f[c]!, outQ) - y[c]!);
      off += d > 0 ? 1 : 0;
      worst = Math.max(worst, d);
      total++;
    }
  }
  return { off: off / total, worst };
}

const models = [
  ['all ops', allOpsModel, [8, 8, 3], 5, 'fc'],
  ['conv1d', seriesModel, [16, 2], 3, 'fc'],
] as const;

describe('QAT graph transform', () => {
  it('annotates exactly the values PTQ quantizes, and strips back to the plain graph', () => {
    const g = prepareFloatGraph(allOpsModel());
    const ranges = calibrate(g, syntheticSplit([8, 8, 3], 16, 5));
    const fq = fakeQuantGraph(g, ranges, { perChannel: true });
    const marks = Object.fromEntries(fq.nodes.map((n) => [n.name, fakeQuantOf(n)]));
    expect(marks.c1).toEqual({ weight: 'int8-per-channel', input: expect.any(Object) });
    expect(marks.r6).toEqual({ output: { momentum: 0.01 } }); // the fused ReLU6 holds c1's output qparams
    expect(marks.dw).toEqual({ weight: 'int8-per-channel' });
    expect(marks.dr?.output).toBeDefined();
    expect(marks.res?.output).toBeDefined(); // add
    expect(marks.cat?.output).toBeDefined(); // concat
    expect(marks.fc).toEqual({ weight: 'int8-per-channel', output: { momentum: 0.01 } });
    for (const plain of ['mp', 'sm']) expect(marks[plain]).toBeUndefined();
    // average pools round to their input's grid: they read its range and leave it alone
    expect(marks.ap).toEqual({ output: { momentum: 0 } });
    expect(fq.nodes.find((n) => n.name === 'ap')?.params.qrange).toBe('res.qrange');
    expect(fq.nodes.find((n) => n.name === 'gap')?.params.qrange).toBe('cat.qrange');
    expect(fq.params['r6.qrange']?.data).toEqual(
      Float32Array.of(ranges.get('r6')!.min, ranges.get('r6')!.max),
    );
    const back = stripFakeQuant(fq);
    expect(back.graph).toEqual(g);
    expect([...back.ranges.keys()].sort()).toEqual(['cat', 'dr', 'fc', 'r6', 'res']);
  });

  it('PTQ uses given ranges without calibrating', () => {
    const g = prepareFloatGraph(seriesModel());
    const ranges = calibrate(g, syntheticSplit([16, 2], 16, 3));
    ranges.set('fc', { min: -7, max: 9 });
    const empty = { size: 0, get: () => ({ x: new Float32Array(0), y: 0 }) };
    const q = postTrainingQuantize(g, empty, { ranges });
    expect(q.values.get('fc')!.q).toEqual(qparamsFromRange(-7, 9));
  });
});

describe('quantization-aware training', () => {
  for (const [label, model, shape, classes, logits] of models)
    for (const perChannel of [false, true])
      it(`${label}, ${perChannel ? 'int8 per-channel' : 'uint8 per-tensor'}: the integer model computes what QAT trained`, async () => {
        const data = syntheticSplit(shape, 96, classes);
        const r = await qat(
          model(),
          { numClasses: classes, train: data },
          { perChannel, samples: 96, training: { epochs: 2, batch: 16, lr: 1e-3 } },
        );
        expect(r.history).toHaveLength(2);
        // the learned ranges moved away from the calibration, and PTQ took them
        const calibrated = calibrate(r.graph, data, { samples: 96 }).get(logits)!;
        const learned = r.ranges.get(logits)!;
        expect(learned).not.toEqual(calibrated);
        const q = postTrainingQuantize(r.graph, data, { perChannel, ranges: r.ranges });
        expect(q.values.get(logits)!.q).toEqual(qparamsFromRange(learned.min, learned.max));
        // the QAT forward (fake quantization, frozen ranges) against the integer interpreter, in LSBs;
        // the float model without fake quantization for scale (requantization rounding remains)
        const fq = fakeQuantGraph(r.graph, r.ranges, { perChannel, momentum: 0 });
        const withFq = lsbOff(fq, q, data, logits);
        const without = lsbOff(r.graph, q, data, logits);
        expect(withFq.worst).toBeLessThanOrEqual(2);
        expect(withFq.off).toBeLessThan(without.off / 2);
        if (label === 'conv1d') expect(withFq.off).toBeLessThan(0.02);
      });
});
