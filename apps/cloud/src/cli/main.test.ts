import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDatasetsDir } from '../ml/data/paths.js';
import { memoryIo as io, writeWindowsCsv } from './fixtures.js';
import { main } from './main.js';

/** A CSV of 2-channel, 8-step windows: class 0 when channel a is high, class 1 when b is. */
const csvDataset = (dir: string): string => writeWindowsCsv(dir);

describe('tinyfleet CLI', () => {
  it('prints help for the CLI and for every command, documenting every flag', async () => {
    const t = io('/');
    expect(await main(['--help'], t)).toBe(0);
    expect(t.out()).toContain('train');
    expect(t.out()).toContain('eval');
    const h = io('/');
    expect(await main(['train', '--help'], h)).toBe(0);
    for (const flag of [
      '--arch',
      '--dataset',
      '--data',
      '--epochs',
      '--batch',
      '--lr',
      '--optimizer',
      '--seed',
      '--out',
      '--resume',
      '--json',
    ]) {
      expect(h.out()).toContain(flag);
    }
    const e = io('/');
    expect(await main(['eval', '--help'], e)).toBe(0);
    expect(e.out()).toContain('--dataset');
  });

  it('exits 2 with a usage message for bad flags and unknown commands', async () => {
    for (const argv of [
      ['train', '--arch', 'ref-cnn', '--dataset', 'mnist', '--epochs', '0'],
      ['train', '--arch', 'ref-cnn', '--dataset', 'mnist', '--epochs', '1', '--bogus'],
      ['train', '--arch', 'ref-cnn', '--epochs', '1'],
      ['train', '--arch', 'ref-cnn', '--dataset', 'mnist', '--epochs', '1', '--optimizer', 'rmsprop'],
      ['eval', '--dataset', 'mnist'],
      ['frobnicate'],
    ]) {
      const t = io('/');
      expect(await main(argv, t), argv.join(' ')).toBe(2);
      expect(t.err()).toMatch(/tinyfleet/);
    }
  });

  it('trains, evaluates and resumes on a CSV data set, with a JSON result line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-cli-'));
    const csv = csvDataset(dir);
    const common = ['--dataset', `csv:${csv}`, '--batch', '16', '--json'];
    const t = io(dir);
    const code = await main(
      [
        'train',
        '--arch',
        'ds-cnn',
        '--width',
        '8',
        '--depth',
        '1',
        '--epochs',
        '2',
        '--lr',
        '0.1',
        '--out',
        'm.tfmodel',
        ...common,
      ],
      t,
    );
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    const lines = t.out().trim().split('\n');
    const r = JSON.parse(lines.at(-1)!) as Record<string, number>;
    expect(r.test_accuracy).toBeGreaterThan(0.9);
    expect(r.epochs).toBe(2);
    expect(existsSync(join(dir, 'm.tfmodel'))).toBe(true);

    const e = io(dir);
    expect(await main(['eval', 'm.tfmodel', ...common], e)).toBe(0);
    expect((JSON.parse(e.out().trim()) as Record<string, number>).test_accuracy).toBeCloseTo(
      r.test_accuracy!,
      6,
    );

    const c = io(dir);
    expect(
      await main(['train', '--resume', 'm.tfmodel', '--epochs', '3', '--out', 'm2.tfmodel', ...common], c),
    ).toBe(0);
    expect((JSON.parse(c.out().trim()) as Record<string, number>).epochs).toBe(3);

    const bad = io(dir);
    writeFileSync(join(dir, 'bad.tfmodel'), 'not a model');
    expect(await main(['eval', 'bad.tfmodel', ...common], bad)).toBe(1);
    expect(bad.err()).toMatch(/ModelFileError \[BAD_MAGIC\]/);
  });

  const mnist = resolve(defaultDatasetsDir(), 'mnist');
  it.skipIf(!existsSync(mnist))(
    'trains ref-cnn on 4k real MNIST samples to > 90% (skipped without ../shared/datasets)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tf-mnist-'));
      const t = io(dir);
      const argv = ['train', '--arch', 'ref-cnn', '--dataset', 'mnist', '--limit', '4000', '--epochs', '1'];
      expect(await main([...argv, '--batch', '32', '--val-fraction', '0', '--json'], t)).toBe(0);
      const r = JSON.parse(t.out().trim().split('\n').at(-1)!) as Record<string, number>;
      expect(r.test_accuracy).toBeGreaterThan(0.9);
    },
  );
});
