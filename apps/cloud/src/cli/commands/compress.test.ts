import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ml/graph/builder.js';
import { readModel, writeModel } from '../../ml/model/format.js';
import { memoryIo as io, writeWindowsCsv } from '../fixtures.js';
import { main } from '../main.js';

/** 2-channel, 8-step windows: class 0 when channel a is high, class 1 when b is. */
function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tf-cli-compress-'));
  writeWindowsCsv(dir, 120, 'w.csv');
  return dir;
}

async function model(dir: string): Promise<void> {
  const b = new GraphBuilder('tiny1d', [8, 2], 1);
  const x = b.relu(b.conv1d(b.input, 8, 3, {}, 'c1'), 'r1');
  const graph = b.build([b.dense(b.flatten(x, 'flat'), 2, 'fc')]);
  await writeModel(join(dir, 'm.tfmodel'), { graph, metadata: { arch: 'tiny1d' }, training: null });
}

describe('tinyfleet compress', () => {
  it('prunes structurally, writes a smaller model and reports accuracy and size as JSON', async () => {
    const dir = setup();
    await model(dir);
    const t = io(dir);
    const argv = ['compress', 'm.tfmodel', '--prune', 'structured-l1', '--schedule', 'agp', '--steps', '2'];
    const rest = [
      '--sparsity',
      '0.5',
      '--dataset',
      `csv:${join(dir, 'w.csv')}`,
      '--out',
      'p.tfmodel',
      '--json',
    ];
    expect(await main([...argv, ...rest], t)).toBe(0);
    const r = JSON.parse(t.chunks.out.at(-1)!) as Record<string, unknown>;
    expect(r).toMatchObject({ method: 'structured-l1', schedule: 'agp', physical: true, params_before: 186 });
    expect(r.param_fraction as number).toBeLessThanOrEqual(0.5);
    expect(r.steps).toHaveLength(2);
    const out = await readModel(join(dir, 'p.tfmodel'));
    expect(out.graph.params['c1.weight']!.shape[2]).toBeLessThan(8);
    expect(out.metadata.compression).toMatchObject({ method: 'structured-l1' });
  });

  it('sweeps sparsities and prints accuracy vs parameter fraction', async () => {
    const dir = setup();
    await model(dir);
    const t = io(dir);
    const argv = ['compress', 'm.tfmodel', '--prune', 'elementwise-l1', '--schedule', 'one-shot'];
    expect(
      await main([...argv, '--sweep', '0.3,0.6', '--dataset', `csv:${join(dir, 'w.csv')}`, '--json'], t),
    ).toBe(0);
    const r = JSON.parse(t.chunks.out.at(-1)!) as {
      physical: boolean;
      points: { nonzero_fraction: number }[];
    };
    expect(r.physical).toBe(false);
    expect(r.points.map((p) => p.nonzero_fraction < 1)).toEqual([true, true]);
  });

  it('rejects contradictory flags with exit 2', async () => {
    const t = io('/');
    expect(
      await main(['compress', 'm.tfmodel', '--dataset', 'mnist', '--sparsity', '0.5', '--sweep', '0.5'], t),
    ).toBe(2);
    expect(await main(['compress', 'm.tfmodel', '--dataset', 'mnist', '--sparsity', '1.5'], io('/'))).toBe(2);
  });
});
