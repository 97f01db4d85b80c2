/**
 * Acceptance on real MNIST (skips without the data set, or without Debian's python3-torch for the
 * PyTorch half): a PyTorch CNN imported via ONNX evaluates like PyTorch and fine-tunes further; a
 * TinyFleet model exported to ONNX scores the same in onnxruntime as in TinyFleet.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../data/mnist.js';
import { defaultDatasetsDir } from '../data/paths.js';
import type { DataSplit } from '../data/types.js';
import { defaultOptimizerConfig } from '../train/optim.js';
import { defaultSchedule } from '../train/schedule.js';
import { evaluateGraph, Trainer } from '../train/trainer.js';
import { refCnn } from '../zoo/ref-cnn.js';
import { exportOnnx } from './export.js';
import { importOnnx } from './import.js';
import { PYTHON, pythonLacks, TORCH_SCRIPTS } from './test-helpers.js';

const datasets = defaultDatasetsDir();
const noData = existsSync(join(datasets, 'mnist')) ? null : `no MNIST in ${datasets}`;
const noTorch = pythonLacks('torch');
const TEST = 2000;

const range = (split: DataSplit, from: number, size: number): DataSplit => ({
  size,
  get: (i) => split.get(from + i),
});

function trainConfig(lr: number) {
  return {
    epochs: 1,
    batch: 64,
    seed: 1,
    optimizer: defaultOptimizerConfig('adam'),
    schedule: defaultSchedule('constant', lr),
    valFraction: 0,
    earlyStopping: null,
  };
}

describe.skipIf(noData !== null || noTorch !== null)('PyTorch MNIST CNN -> ONNX -> TinyFleet', () => {
  it('evaluates within 0.1 pt of PyTorch and fine-tunes further', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tf-torch-mnist-')), 'small_cnn.onnx');
    const args = ['--data', datasets, '--out', out, '--train', '6000', '--test', String(TEST)];
    const r = spawnSync(PYTHON, [join(TORCH_SCRIPTS, 'train_small_cnn.py'), ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const torch = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { test_accuracy: number };
    const { graph } = importOnnx(readFileSync(out));
    const mnist = await loadMnist(join(datasets, 'mnist'));
    const test = range(mnist.test, 0, TEST);
    const before = evaluateGraph(graph, test);
    expect(Math.abs(before.accuracy - torch.test_accuracy)).toBeLessThanOrEqual(0.001);

    const trainer = new Trainer(
      graph,
      { numClasses: 10, train: range(mnist.train, 6000, 6000) },
      trainConfig(5e-4),
    );
    const after = evaluateGraph(trainer.run(), test);
    if (process.env.TF_ONNX_FIGURES)
      console.log(JSON.stringify({ torch: torch.test_accuracy, imported: before, fineTuned: after }));
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBeGreaterThanOrEqual(before.accuracy - 0.002);
  });
});

describe.skipIf(noData !== null)('TinyFleet MNIST model -> ONNX -> onnxruntime', () => {
  it('scores the same test accuracy in onnxruntime as in TinyFleet (within 0.1 pt)', async () => {
    const mnist = await loadMnist(join(datasets, 'mnist'));
    const graph = new Trainer(
      refCnn({ seed: 3 }),
      { numClasses: 10, train: range(mnist.train, 0, 3000) },
      trainConfig(2e-3),
    ).run();
    const test = range(mnist.test, 0, TEST);
    const tf = evaluateGraph(graph, test);
    const session = await ort.InferenceSession.create(exportOnnx(graph));
    const x = new Float32Array(TEST * 784);
    for (let i = 0; i < TEST; i++) x.set(test.get(i).x, i * 784); // C = 1: NHWC and NCHW coincide
    const res = await session.run({ input: new ort.Tensor('float32', x, [TEST, 1, 28, 28]) });
    const logits = res[session.outputNames[0]!]!.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < TEST; i++) {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === test.get(i).y) correct++;
    }
    await session.release();
    if (process.env.TF_ONNX_FIGURES)
      console.log(JSON.stringify({ tinyfleet: tf.accuracy, ort: correct / TEST }));
    expect(Math.abs(correct / TEST - tf.accuracy)).toBeLessThanOrEqual(0.001);
  });
});

if (noData ?? noTorch) it.skip(`MNIST ONNX acceptance partly skipped: ${noData ?? noTorch}`, () => {});
