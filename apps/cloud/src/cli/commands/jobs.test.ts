import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCloud, startCloud } from '../../server/start.js';
import { memoryIo, writeWindowsCsv } from '../fixtures.js';
import { main } from '../main.js';
import { splitSteps } from './jobs.js';

let dir: string;
let cloud: RunningCloud;
let csv: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-cli-jobs-'));
  csv = writeWindowsCsv(dir);
  cloud = await startCloud({ dataDir: join(dir, 'cloud'), httpPort: 0, mqtt: { port: 0, wsPort: null } });
});
afterAll(async () => {
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
});

const io = () => memoryIo(dir, { TINYFLEET_URL: cloud.httpUrl, TINYFLEET_TOKEN: cloud.adminToken });

const train = ['train', '--arch', 'ds-cnn', '--width', '8', '--depth', '1', '--epochs', '2', '--batch', '16'];

describe('tinyfleet jobs', () => {
  it('splits steps at --', () => {
    expect(splitSteps(['submit', '--name', 'x', '--', 'train', '--epochs', '1', '--', 'eval', 'm'])).toEqual({
      head: ['submit', '--name', 'x'],
      steps: [
        { command: 'train', args: ['--epochs', '1'] },
        { command: 'eval', args: ['m'] },
      ],
    });
    expect(splitSteps(['list'])).toEqual({ head: ['list'], steps: [] });
  });

  it('submits train + quantize with --register --watch, lists, gets the file', async () => {
    const t = io();
    const code = await main(
      [
        'jobs',
        'submit',
        '--name',
        'tiny',
        '--register',
        '--watch',
        '--',
        ...train,
        '--dataset',
        `csv:${csv}`,
        '--out',
        'm.tfmodel',
        '--',
        'quantize',
        'm.tfmodel',
        '--dataset',
        `csv:${csv}`,
        '--out',
        'm.tfm',
      ],
      t,
    );
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    const lines = t.out().trim().split('\n');
    expect(lines[0]).toMatch(/^job_\S+ {2}queued/);
    expect(lines.some((l) => / running .* step 1\/2 .*epoch/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/succeeded 100% step 2\/2 {2}tiny/);
    const id = lines[0]!.split(' ')[0]!;

    const l = io();
    expect(await main(['jobs', 'list', '--status', 'succeeded', '--json'], l)).toBe(0);
    const page = JSON.parse(l.out()) as { items: { id: string; modelIds: string[] }[] };
    expect(page.items.map((j) => j.id)).toEqual([id]);
    expect(page.items[0]?.modelIds).toHaveLength(1);

    const g = io();
    expect(await main(['jobs', 'get', id, 'm.tfm', '--out', 'copy.tfm'], g)).toBe(0);
    expect(existsSync(join(dir, 'copy.tfm'))).toBe(true);
  });

  it('fails with the command message, and refuses bad usage', async () => {
    const t = io();
    const code = await main(
      [
        'jobs',
        'submit',
        '--name',
        'bad',
        '--watch',
        '--json',
        '--',
        'eval',
        'none.tfmodel',
        '--dataset',
        `csv:${csv}`,
      ],
      t,
    );
    expect(code).toBe(1);
    const job = JSON.parse(t.out().trim().split('\n').at(-1)!) as { status: string; error: string };
    expect(job).toMatchObject({ status: 'failed', error: expect.stringMatching(/none\.tfmodel/) });
    for (const argv of [
      ['jobs', 'submit', '--name', 'x'],
      ['jobs', 'show'],
      ['jobs', 'frob'],
      ['jobs', 'submit', '--name', 'x', '--', 'train', '--bogus'],
    ]) {
      const b = io();
      expect(await main(argv, b), argv.join(' ')).not.toBe(0);
      expect(b.err()).toMatch(/tinyfleet jobs/);
    }
  });
});
