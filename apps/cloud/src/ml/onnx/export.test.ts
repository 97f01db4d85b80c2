import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkWithOnnx } from './checker.js';
import { exportOnnx } from './export.js';
import { OP_CASES } from './op-cases.js';
import { maxAbsDiff, randomBatch, randomizeParams, runEngine, runOrt } from './test-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-onnx-export-'));
const written: string[] = [];
const figures: Record<string, number> = {};

describe('ONNX export parity with onnxruntime (per op)', () => {
  it.each(OP_CASES)('%s', async (name, build) => {
    const graph = randomizeParams(build(), 7);
    const bytes = exportOnnx(graph);
    const file = join(dir, `${written.length}.onnx`);
    writeFileSync(file, bytes);
    written.push(file);
    const n = 3;
    const x = randomBatch(graph.inputs[0]!.shape, n, 3);
    const want = runEngine(graph, x, n);
    const got = await runOrt(bytes, graph, x, n);
    const diff = maxAbsDiff(want, got);
    figures[name] = diff;
    expect(diff).toBeLessThanOrEqual(1e-4);
  });

  it('every exported model passes onnx.checker (full check)', (ctx) => {
    const r = checkWithOnnx(written);
    if (r.skipped) ctx.skip(r.skipped);
    expect(r.failures).toEqual([]);
  });

  afterAll(() => {
    if (process.env.TF_ONNX_FIGURES) console.log(JSON.stringify(figures));
  });
});
