/** `tinyfleet quantize --trainable` with `--update` / `--rounding`: the TRAIN record bytes 27, 28 (PROTOCOL.md §5.7, §6.6.10). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArtifact } from '@tinyfleet/protocol/artifact';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ml/graph/builder.js';
import { writeModel } from '../../ml/model/format.js';
import { memoryIo, writeWindowsCsv } from '../fixtures.js';
import { main } from '../main.js';

async function setup(): Promise<{ dir: string; args: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-cli-quantize-tr-'));
  const csv = writeWindowsCsv(dir, 60, 'w.csv');
  const b = new GraphBuilder('tiny1d', [8, 2], 1);
  const x = b.relu(b.conv1d(b.input, 8, 3, {}, 'c1'), 'r1');
  const graph = b.build([b.dense(b.flatten(x, 'flat'), 2, 'fc')]);
  await writeModel(join(dir, 'm.tfmodel'), { graph, metadata: { arch: 'tiny1d' }, training: null });
  return {
    dir,
    args: ['quantize', 'm.tfmodel', '--dataset', `csv:${csv}`, '--out', 'm.tfm', '--qat', 'never', '--json'],
  };
}

describe('tinyfleet quantize --trainable --update --rounding', () => {
  it('writes the rule and rounding into the TRAIN record; defaults STANDARDIZED, NEAREST', async () => {
    const { dir, args } = await setup();
    const training = () => readArtifact(new Uint8Array(readFileSync(join(dir, 'm.tfm')))).training;

    expect(await main([...args, '--trainable', 'last1'], memoryIo(dir))).toBe(0);
    expect(training()).toMatchObject({ update: 'STANDARDIZED', rounding: 'NEAREST' });

    const flags = ['--trainable', 'last1', '--lr', '0.02', '--update', 'sgd', '--rounding', 'stochastic'];
    expect(await main([...args, ...flags], memoryIo(dir))).toBe(0);
    expect(training()).toMatchObject({
      update: 'SGD',
      rounding: 'STOCHASTIC',
      learningRate: Math.fround(0.02),
    });

    expect(await main([...args, '--trainable', 'last1', '--update', 'centered'], memoryIo(dir))).toBe(0);
    expect(training()).toMatchObject({ update: 'CENTERED', rounding: 'NEAREST' });
  });

  it('rejects unknown names and the flags without --trainable (usage errors)', async () => {
    const { dir, args } = await setup();
    const bad = memoryIo(dir);
    expect(await main([...args, '--trainable', 'last1', '--update', 'adam'], bad)).toBe(2);
    expect(bad.err()).toContain('--update must be standardized, centered or sgd');
    const alone = memoryIo(dir);
    expect(await main([...args, '--rounding', 'stochastic'], alone)).toBe(2);
    expect(alone.err()).toContain('go with --trainable');
  });
});
