import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ml/graph/builder.js';
import { readModel, writeModel } from '../../ml/model/format.js';
import { importOnnx } from '../../ml/onnx/import.js';
import { memoryIo as io } from '../fixtures.js';
import { main } from '../main.js';

describe('tinyfleet export onnx / import onnx', () => {
  it('round-trips a model file through ONNX, with --json results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-cli-onnx-'));
    const b = new GraphBuilder('tiny', [6, 6, 2], 1);
    const graph = b.build([b.dense(b.flatten(b.relu(b.conv2d(b.input, 3, 3))), 4)]);
    await writeModel(join(dir, 'm.tfmodel'), { graph, metadata: { arch: 'tiny' }, training: null });
    const a = io(dir);
    expect(await main(['export', 'onnx', 'm.tfmodel', 'm.onnx', '--json'], a)).toBe(0);
    expect(JSON.parse(a.chunks.out.at(-1)!)).toMatchObject({ format: 'onnx', opset: 13 });
    expect(importOnnx(readFileSync(join(dir, 'm.onnx'))).graph.nodes).toHaveLength(4);
    const c = io(dir);
    expect(
      await main(['import', 'onnx', 'm.onnx', 'back.tfmodel', '--arch-name', 'tiny2', '--json'], c),
    ).toBe(0);
    expect(JSON.parse(c.chunks.out.at(-1)!)).toMatchObject({
      arch: 'tiny2',
      nodes: 4,
      input_shape: [6, 6, 2],
    });
    const back = await readModel(join(dir, 'back.tfmodel'));
    expect(back.metadata.arch).toBe('tiny2');
  });

  it('reports a malformed ONNX file with its error code, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-cli-onnx-'));
    writeFileSync(join(dir, 'bad.onnx'), 'not protobuf at all');
    const e = io(dir);
    expect(await main(['import', 'onnx', 'bad.onnx', 'x.tfmodel'], e)).toBe(1);
    expect(e.err()).toMatch(/OnnxError \[(BAD_PROTOBUF|MALFORMED)\]/);
  });

  it('rejects unknown formats as usage errors, exit 2', async () => {
    expect(await main(['export', 'tflite', 'a', 'b'], io('/tmp'))).toBe(2);
    expect(await main(['import', 'pt', 'a', 'b'], io('/tmp'))).toBe(2);
  });
});
