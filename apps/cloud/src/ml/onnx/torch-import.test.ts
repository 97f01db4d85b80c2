import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from './import.js';
import { nchwToNhwc, nhwcToNchw, toChannelsFirst } from './layout.js';
import { maxAbsDiff, PYTHON, pythonLacks, randomBatch, runEngine, TORCH_SCRIPTS } from './test-helpers.js';

interface Exported {
  readonly name: string;
  readonly path: string;
  readonly input_shape: number[];
}

const lacks = pythonLacks('torch');
const figures: Record<string, number> = {};

function exportModels(opset: number): Exported[] {
  const dir = mkdtempSync(join(tmpdir(), `tf-torch-ops-${opset}-`));
  const r = spawnSync(PYTHON, [join(TORCH_SCRIPTS, 'export_op_models.py'), dir, '--opset', String(opset)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`export_op_models.py failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { models: Exported[] }).models;
}

describe.skipIf(lacks !== null)('import of torch.onnx.export models: TinyFleet vs onnxruntime', () => {
  for (const opset of [11, 13]) {
    it(`opset ${opset}: every model imports and matches ORT within 1e-4`, async () => {
      for (const m of exportModels(opset)) {
        const bytes = readFileSync(m.path);
        if (m.name.startsWith('unsupported')) {
          expect(() => importOnnx(bytes)).toThrow(/neither "valid" nor TinyFleet's "same"/);
          continue;
        }
        const { graph } = importOnnx(bytes);
        const irShape = graph.inputs[0]!.shape;
        expect(toChannelsFirst(irShape)).toEqual(m.input_shape);
        const n = 3;
        const x = randomBatch(irShape, n, 9);
        const session = await ort.InferenceSession.create(bytes);
        const res = await session.run({
          input: new ort.Tensor('float32', nhwcToNchw(x, irShape), [n, ...m.input_shape]),
        });
        await session.release();
        const outShape = (res.output!.dims as number[]).slice(1);
        const want = nchwToNhwc(res.output!.data as Float32Array, [...outShape.slice(1), outShape[0]!]);
        const diff = maxAbsDiff(want, runEngine(graph, x, n));
        figures[`${m.name} (opset ${opset})`] = diff;
        expect(diff, m.name).toBeLessThanOrEqual(1e-4);
      }
    });
  }
});

if (lacks) it.skip(`torch-exported models: ${lacks}`, () => {});

afterAll(() => {
  if (process.env.TF_ONNX_FIGURES) console.log(JSON.stringify(figures));
});
