import { describe, expect, it } from 'vitest';
import { compareWithOrt, loadOrt } from './ort.js';
import { postTrainingQuantize } from './ptq.js';
import { allOpsModel, seriesModel, syntheticSplit } from './test-models.js';
import { size } from './types.js';
import { quantizeValue } from './weights.js';

const ort = await loadOrt();
if (!ort) console.warn('onnxruntime-node does not load: ORT parity tests skipped');

describe.skipIf(!ort)('ONNX Runtime parity (PROTOCOL.md §6.5)', () => {
  // bound: fraction of output elements 1 LSB apart; the all-ops model ends in softmax (ORT: float exp)
  for (const [label, model, shape, classes, bound] of [
    ['all ops', allOpsModel(3), [8, 8, 3], 5, 0.3],
    ['conv1d', seriesModel(4), [16, 2], 3, 0.1],
  ] as const) {
    for (const perChannel of [false, true]) {
      it(`${label}, ${perChannel ? 'int8 per-channel' : 'uint8 per-tensor'}: at most 1 LSB apart`, async () => {
        const data = syntheticSplit(shape, 40, classes, 9);
        const q = postTrainingQuantize(model, data, { perChannel, samples: 40 });
        const inV = q.values.get(q.input)!;
        const inputs = Array.from({ length: data.size }, (_, i) =>
          Uint8Array.from(data.get(i).x.subarray(0, size(inV.shape)), (v) => quantizeValue(v, inV.q)),
        );
        const r = await compareWithOrt(ort!, q, inputs);
        console.log(`ORT ${label} ${perChannel ? 'per-channel' : 'per-tensor'}: ${JSON.stringify(r)}`);
        expect(r.maxDiff).toBeLessThanOrEqual(1);
        expect(r.diff1 / r.elements).toBeLessThan(bound);
      });
    }
  }
});
