/**
 * bench:ptq — issue 4's first acceptance point on real data: `ref-cnn` trained in float on MNIST
 * (`--epochs`, 3; or `--model FILE`), post-training quantized (uint8 per-tensor, and int8 per-channel),
 * float and integer-interpreter accuracy on the whole test split, and the same quantized graphs exported
 * as ONNX QOperator graphs (QLinearConv / QLinearMatMul, quant/onnx.ts) run by ONNX Runtime on every test
 * image: elements 1 LSB apart, more than 1 LSB apart, and predictions that differ (PROTOCOL.md §6.5
 * explains the 1 LSB). `--json`: one JSON object; progress on stderr. `--test N` limits the test images.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/ml/data/index.js';
import { defaultDatasetsDir } from '../src/ml/data/paths.js';
import { isRawSplit } from '../src/ml/data/types.js';
import type { Graph } from '../src/ml/graph/types.js';
import { readModel } from '../src/ml/model/format.js';
import { evaluateQuantized } from '../src/ml/quant/evaluate.js';
import { compareWithOrt, loadOrt } from '../src/ml/quant/ort.js';
import { postTrainingQuantize } from '../src/ml/quant/ptq.js';
import { defaultOptimizerConfig } from '../src/ml/train/optim.js';
import { defaultSchedule } from '../src/ml/train/schedule.js';
import { evaluateGraph, Trainer } from '../src/ml/train/trainer.js';
import { refCnn } from '../src/ml/zoo/ref-cnn.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    epochs: { type: 'string', default: '3' },
    model: { type: 'string' },
    test: { type: 'string' },
    data: { type: 'string' },
  },
});
const log = (s: string) => process.stderr.write(`bench:ptq ${s}\n`);
const data = await loadDataset('mnist', { dir: values.data ?? defaultDatasetsDir() });
const enc = data.inputEncoding;
if (!enc || !isRawSplit(data.test)) throw new Error('MNIST without 8-bit inputs');
const testSize = Math.min(Number(values.test ?? data.test.size), data.test.size);
const test = { ...data.test, size: testSize };
let graph: Graph;
if (values.model) graph = (await readModel(resolve(values.model))).graph;
else {
  log(`training ref-cnn for ${values.epochs} epochs`);
  graph = new Trainer(
    refCnn({ seed: 1, inputShape: data.inputShape, classes: data.numClasses }),
    { numClasses: data.numClasses, train: data.train },
    {
      epochs: Number(values.epochs),
      batch: 64,
      seed: 1,
      optimizer: defaultOptimizerConfig('sgd', { momentum: 0.9 }),
      schedule: defaultSchedule('cosine', 0.05),
      valFraction: 0,
      earlyStopping: null,
    },
  ).run();
}
const floatAccuracy = evaluateGraph(graph, test).accuracy;
log(`float ${floatAccuracy}`);
const ort = await loadOrt();
if (!ort) log('onnxruntime-node is not installed: the ORT comparison is skipped');
const modes = [];
for (const perChannel of [false, true]) {
  const q = postTrainingQuantize(graph, data.train, { samples: 1000, inputQ: enc, perChannel });
  const quantAccuracy = evaluateQuantized(q, test).accuracy;
  const raw = data.test;
  const inputs = (function* () {
    for (let i = 0; i < testSize; i++) yield raw.getRaw(i);
  })();
  const vsOrt = ort ? await compareWithOrt(ort, q, inputs) : null;
  const mode = perChannel ? 'int8 per-channel' : 'uint8 per-tensor';
  log(`${mode}: int ${quantAccuracy}; ORT ${JSON.stringify(vsOrt)}`);
  modes.push({
    weights: mode,
    quant_accuracy: quantAccuracy,
    loss_pt: (floatAccuracy - quantAccuracy) * 100,
    ort: vsOrt && {
      ...vsOrt,
      elements_1lsb_fraction: vsOrt.diff1 / vsOrt.elements,
      predictions_changed_fraction: vsOrt.predictionsChanged / vsOrt.samples,
    },
  });
}
const result = {
  model: values.model ?? `ref-cnn, ${values.epochs} epochs`,
  test_images: testSize,
  float_accuracy: floatAccuracy,
  modes,
};
process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 1)}\n`);
