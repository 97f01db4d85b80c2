import { readArtifact } from '@tinyfleet/protocol/artifact';
import { describe, expect, it } from 'vitest';
import { Plan } from '../engine/plan.js';
import { shapeSize } from '../graph/types.js';
import { planArena } from './arena.js';
import { writeQuantizedArtifact } from './artifact.js';
import { calibrate } from './calibrate.js';
import { argmax, Interpreter } from './interpreter.js';
import { postTrainingQuantize, prepareFloatGraph } from './ptq.js';
import { allOpsModel, seriesModel, syntheticSplit } from './test-models.js';
import { size } from './types.js';
import { quantizeValue } from './weights.js';

describe('post-training quantization', () => {
  for (const [label, model, shape, classes] of [
    ['all ops', allOpsModel(), [8, 8, 3], 5],
    ['conv1d', seriesModel(), [16, 2], 3],
  ] as const) {
    for (const perChannel of [false, true]) {
      it(`${label}, ${perChannel ? 'int8 per-channel' : 'uint8 per-tensor'}: integer outputs track the float model`, () => {
        const data = syntheticSplit(shape, 64, classes);
        const q = postTrainingQuantize(model, data, { perChannel, samples: 64 });
        const interp = new Interpreter(q);
        const plan = new Plan(prepareFloatGraph(model), { batch: 1, training: false });
        const inV = q.values.get(q.input)!;
        const outV = q.values.get(q.output)!;
        let agree = 0;
        let maxErr = 0;
        for (let i = 0; i < data.size; i++) {
          const x = data.get(i).x;
          plan.act(plan.inputName).f32.set(x);
          plan.forward(1, false);
          const f = plan.act(model.outputs[0]!).f32.subarray(0, shapeSize(outV.shape));
          const xq = Uint8Array.from(x, (v) => quantizeValue(v, inV.q));
          const y = interp.run(xq);
          const range = Math.max(...f) - Math.min(...f, 0);
          for (let k = 0; k < y.length; k++) {
            const real = outV.q.scale * (y[k]! - outV.q.zeroPoint);
            maxErr = Math.max(maxErr, Math.abs(real - f[k]!) / Math.max(range, 1e-3));
          }
          if (argmax(y) === argmax(f)) agree++;
        }
        expect(maxErr).toBeLessThan(0.1);
        expect(agree / data.size).toBeGreaterThanOrEqual(0.85);
      });
    }
  }

  it('fuses ReLU/ReLU6 into the conv and folds BatchNorm', () => {
    const q = postTrainingQuantize(allOpsModel(), syntheticSplit([8, 8, 3], 16, 5), { samples: 16 });
    const ops = q.nodes.map((n) => n.op);
    expect(ops).not.toContain('relu6');
    expect(ops).not.toContain('relu');
    const c1 = q.nodes[0]!;
    expect(c1.op === 'conv2d' && c1.output).toBe('r6');
    expect(c1.op === 'conv2d' && c1.pad).toEqual({ top: 0, left: 0, bottom: 1, right: 1 });
  });

  it('percentile calibration narrows the ranges', () => {
    const g = prepareFloatGraph(allOpsModel());
    const data = syntheticSplit([8, 8, 3], 32, 5);
    const mm = calibrate(g, data, { samples: 32 });
    const pc = calibrate(g, data, { samples: 32, percentile: 99 });
    expect(pc.get('c1')!.max).toBeLessThan(mm.get('c1')!.max);
    expect(pc.get('c1')!.min).toBeGreaterThan(mm.get('c1')!.min);
  });

  it('writes an artifact that readArtifact accepts, with a valid arena plan', () => {
    const q = postTrainingQuantize(allOpsModel(), syntheticSplit([8, 8, 3], 16, 5), {
      samples: 16,
      perChannel: true,
    });
    const bytes = writeQuantizedArtifact(q);
    const a = readArtifact(bytes);
    expect(a.ops.map((o) => o.kind)).toEqual(
      q.nodes.map(
        (n) =>
          ({
            conv2d: 'CONV2D',
            depthwiseConv2d: 'DEPTHWISE_CONV2D',
            add: 'ADD',
            avgPool: 'AVGPOOL2D',
            maxPool: 'MAXPOOL2D',
            concat: 'CONCAT',
            globalAvgPool: 'GLOBAL_AVGPOOL',
            dense: 'DENSE',
            softmax: 'SOFTMAX',
          })[n.op as 'add'],
      ),
    );
    const plan = planArena(q);
    expect(a.arenaInferBytes).toBe(plan.bytes);
    for (const [name, off] of plan.offsets) {
      expect(off % 16).toBe(0);
      expect(off + size(q.values.get(name)!.shape)).toBeLessThanOrEqual(plan.bytes);
    }
    // the model output and the res value (alive together with ap/mp) never overlap their co-live values
    const span = (n: string) =>
      [plan.offsets.get(n)!, plan.offsets.get(n)! + size(q.values.get(n)!.shape)] as const;
    const [a0, a1] = span('ap');
    const [m0, m1] = span('mp');
    const [s0, s1] = span('res');
    expect(a1 <= m0 || m1 <= a0).toBe(true);
    expect(a1 <= s0 || s1 <= a0).toBe(true);
  });
});
