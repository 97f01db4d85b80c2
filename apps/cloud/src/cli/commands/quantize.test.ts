import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ml/graph/builder.js';
import { writeModel } from '../../ml/model/format.js';
import { memoryIo, writeWindowsCsv } from '../fixtures.js';

import { main } from '../main.js';

const io = (cwd: string, env: Record<string, string> = { TINYFLEET_PROGRESS: 'lines' }) => memoryIo(cwd, env);
async function setup(): Promise<{ dir: string; args: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-cli-quantize-'));
  const csv = writeWindowsCsv(dir, 120, 'w.csv');
  const b = new GraphBuilder('tiny1d', [8, 2], 1);
  const x = b.relu(b.conv1d(b.input, 8, 3, {}, 'c1'), 'r1');
  const graph = b.build([b.dense(b.flatten(x, 'flat'), 2, 'fc')]);
  await writeModel(join(dir, 'm.tfmodel'), { graph, metadata: { arch: 'tiny1d' }, training: null });
  return { dir, args: ['quantize', 'm.tfmodel', '--dataset', `csv:${csv}`, '--out', 'm.tfm', '--json'] };
}

describe('tinyfleet quantize --qat', () => {
  it('never: PTQ only; always: QAT runs, reports both accuracies and writes the QAT model', async () => {
    const { dir, args } = await setup();
    const never = io(dir);
    expect(await main([...args, '--qat', 'never'], never)).toBe(0);
    const a = JSON.parse(never.chunks.out.at(-1)!) as Record<string, unknown>;
    expect(a).toMatchObject({ method: 'ptq', qat_accuracy: null });
    expect(a.quant_accuracy).toBe(a.ptq_accuracy);
    expect(never.err()).toMatch(/PTQ .* pt lost/);

    const always = io(dir);
    const qat = ['--qat', 'always', '--qat-epochs', '2', '--qat-lr', '0.01', '--per-channel'];
    expect(await main([...args, ...qat], always)).toBe(0);
    const b = JSON.parse(always.chunks.out.at(-1)!) as Record<string, unknown>;
    expect(b.method).toBe('qat');
    expect(b.weights).toBe('int8-per-channel');
    expect(typeof b.qat_accuracy).toBe('number');
    expect(b.quant_accuracy).toBe(b.qat_accuracy);
    expect(b.artifact_bytes as number).toBeGreaterThan(0);
    const err = always.err();
    expect(err).toContain('quantization-aware training, 2 epoch(s)');
    expect(err).toMatch(/epoch 2\/2 done/);
    expect(err).toMatch(/QAT \d+\.\d+%: the artifact uses QAT/);
  });

  it('auto runs QAT only when PTQ loses more than the threshold; bad modes are usage errors', async () => {
    const { dir, args } = await setup();
    const t = io(dir);
    // no loss can exceed 100 points
    expect(await main([...args, '--qat-threshold', '100'], t)).toBe(0);
    expect(JSON.parse(t.chunks.out.at(-1)!)).toMatchObject({ method: 'ptq', qat_accuracy: null });
    expect(t.err()).not.toContain('quantization-aware training');
    const quiet = io(dir, {}); // --json without TINYFLEET_PROGRESS=lines: nothing on stderr
    expect(await main([...args, '--qat', 'always', '--qat-epochs', '1'], quiet)).toBe(0);
    expect(JSON.parse(quiet.chunks.out.at(-1)!)).toMatchObject({ method: 'qat' });
    expect(quiet.err()).toBe('');
    const bad = io(dir);
    expect(await main([...args, '--qat', 'sometimes'], bad)).not.toBe(0);
    expect(bad.err()).toContain('--qat must be auto, always or never');
  });
});
