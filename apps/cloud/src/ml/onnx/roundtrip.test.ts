import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../graph/types.js';
import { buildModel } from '../zoo/index.js';
import { checkWithOnnx } from './checker.js';
import { exportOnnx } from './export.js';
import { importOnnx } from './import.js';
import { OP_CASES } from './op-cases.js';
import { maxAbsDiff, randomBatch, randomizeParams, runEngine, runOrt } from './test-helpers.js';

const ZOO: [string, () => Graph][] = [
  ['ref-cnn', () => buildModel('ref-cnn', { inputShape: [28, 28, 1], classes: 10, seed: 1 })],
  [
    'ds-cnn (image, width 8)',
    () => buildModel('ds-cnn', { inputShape: [16, 16, 1], classes: 5, width: 8, depth: 2, seed: 2 }),
  ],
  [
    'ds-cnn (series, width 8)',
    () => buildModel('ds-cnn', { inputShape: [20, 10], classes: 4, width: 8, depth: 2, seed: 3 }),
  ],
  [
    'mobilenet-v2 (width 0.25)',
    () => buildModel('mobilenet-v2', { inputShape: [16, 16, 3], classes: 6, width: 0.25, depth: 1, seed: 4 }),
  ],
  [
    'resnet (width 4)',
    () =>
      buildModel('resnet', {
        inputShape: [12, 12, 3],
        classes: 7,
        width: 4,
        depth: 1,
        seed: 5,
        dropout: 0.2,
      }),
  ],
];

const dir = mkdtempSync(join(tmpdir(), 'tf-onnx-zoo-'));
const written: string[] = [];
const figures: Record<string, { ort: number; roundTrip: number }> = {};

async function check(name: string, build: () => Graph): Promise<void> {
  const graph = randomizeParams(build(), 11);
  const bytes = exportOnnx(graph);
  const file = join(dir, `${written.length}.onnx`);
  writeFileSync(file, bytes);
  written.push(file);
  const n = 4;
  const x = randomBatch(graph.inputs[0]!.shape, n, 5);
  const want = runEngine(graph, x, n);
  const ort = maxAbsDiff(want, await runOrt(bytes, graph, x, n));
  const back = importOnnx(bytes).graph;
  expect(back.inputs[0]!.shape).toEqual(graph.inputs[0]!.shape);
  const roundTrip = maxAbsDiff(want, runEngine(back, x, n));
  figures[name] = { ort, roundTrip };
  expect(ort).toBeLessThanOrEqual(1e-4);
  expect(roundTrip).toBeLessThanOrEqual(1e-5);
}

describe('zoo models: export parity with onnxruntime and export -> import round trip', () => {
  it.each(ZOO)('%s', check);
  it('zoo exports pass onnx.checker', (ctx) => {
    const r = checkWithOnnx(written);
    if (r.skipped) ctx.skip(r.skipped);
    expect(r.failures).toEqual([]);
  });
});

describe('per-op export -> import round trip', () => {
  it.each(OP_CASES)('%s', check);
});

afterAll(() => {
  if (process.env.TF_ONNX_FIGURES) console.log(JSON.stringify(figures));
});
