import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../data/index.js';
import { defaultDatasetsDir } from '../data/paths.js';
import { type DataSplit, isRawSplit } from '../data/types.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { evaluateGraph } from '../train/trainer.js';
import { evaluateQuantized } from './evaluate.js';
import { compareWithOrt, loadOrt } from './ort.js';
import { postTrainingQuantize } from './ptq.js';

const dir = defaultDatasetsDir();
const has = existsSync(resolve(dir, 'mnist'));
if (!has) console.warn(`no MNIST under ${dir}: real-data quantization check skipped`);

function head(split: DataSplit, n: number): DataSplit {
  return { ...split, size: Math.min(n, split.size), get: (i) => split.get(i) };
}

describe.skipIf(!has)('PTQ on real MNIST (small)', () => {
  it('a nearest-class-mean classifier keeps its accuracy after quantization and matches ORT', async () => {
    const d = await loadDataset('mnist', { dir });
    const train = head(d.train, 3000);
    const test = head(d.test, 500);
    const graph = nearestMeanModel(train);
    const floatAcc = evaluateGraph(graph, test).accuracy;
    const q = postTrainingQuantize(graph, train, {
      samples: 300,
      ...(d.inputEncoding ? { inputQ: d.inputEncoding } : {}),
    });
    const qAcc = evaluateQuantized(q, test).accuracy;
    expect(floatAcc).toBeGreaterThan(0.7);
    expect(qAcc).toBeGreaterThan(floatAcc - 0.01);
    const ort = await loadOrt();
    if (ort && isRawSplit(test)) {
      const inputs = Array.from({ length: 200 }, (_, i) => test.getRaw(i));
      const r = await compareWithOrt(ort, q, inputs);
      expect(r.maxDiff).toBeLessThanOrEqual(1);
      expect(r.predictionsChanged).toBeLessThanOrEqual(2);
    }
  });
});

/** flatten -> dense with score_c = x . mu_c - |mu_c|^2 / 2 (no training needed). */
function nearestMeanModel(split: DataSplit): Graph {
  const n = 784;
  const sums = Array.from({ length: 10 }, () => new Float64Array(n));
  const counts = new Float64Array(10);
  for (let i = 0; i < split.size; i++) {
    const s = split.get(i);
    counts[s.y]! += 1;
    for (let k = 0; k < n; k++) sums[s.y]![k]! += s.x[k]!;
  }
  const w = new Float32Array(n * 10);
  const b = new Float32Array(10);
  for (let c = 0; c < 10; c++) {
    let sq = 0;
    for (let k = 0; k < n; k++) {
      const mu = sums[c]![k]! / Math.max(1, counts[c]!);
      w[k * 10 + c] = mu;
      sq += mu * mu;
    }
    b[c] = -sq / 2;
  }
  const g = new GraphBuilder('mean', [28, 28, 1], 0);
  const fc = g.dense(g.flatten(g.input, 'fl'), 10, 'fc');
  g.params['fc.weight'] = { shape: [n, 10], data: w };
  g.params['fc.bias'] = { shape: [10], data: b };
  return g.build([fc]);
}
