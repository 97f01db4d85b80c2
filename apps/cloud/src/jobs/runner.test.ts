import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeWindowsCsv } from '../cli/fixtures.js';
import { type OtaFixture, openOtaFixture } from '../ota/testing.js';
import type { Job, LiveEvent } from '../store/index.js';
import { JobRunner } from './runner.js';
import { lineFraction } from './steps.js';

let fx: OtaFixture | undefined;
let runner: JobRunner | undefined;
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  fx?.close();
  fx = undefined;
});

function setup(concurrency = 1) {
  fx = openOtaFixture();
  fx.ota.keys.ensureActive();
  const data = mkdtempSync(join(tmpdir(), 'tf-jobs-data-'));
  const csv = writeWindowsCsv(data);
  const events: Extract<LiveEvent, { type: 'job' }>[] = [];
  fx.bus.subscribe((e) => {
    if (e.type === 'job') events.push(e);
  });
  runner = new JobRunner({
    jobs: fx.store.jobs,
    bus: fx.bus,
    dir: join(fx.dir, 'jobs'),
    ota: fx.ota,
    concurrency,
    progressEveryMs: 0,
  });
  runner.start();
  return { fx, runner, csv, events, cleanup: () => rmSync(data, { recursive: true, force: true }) };
}

async function ended(f: OtaFixture, id: string, timeoutMs = 120_000): Promise<Job> {
  const t0 = Date.now();
  for (;;) {
    const j = f.store.jobs.require(id);
    if (j.status !== 'queued' && j.status !== 'running') return j;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${j.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const train = (csv: string, epochs: number, out = 'm.tfmodel') => ({
  command: 'train',
  args: [
    '--arch',
    'ds-cnn',
    '--width',
    '8',
    '--depth',
    '1',
    '--epochs',
    String(epochs),
    '--lr',
    '0.1',
  ].concat(['--batch', '16', '--dataset', `csv:${csv}`, '--threads', '1', '--out', out]),
});

describe('JobRunner', () => {
  it('runs train then quantize in a worker, streams progress, registers the signed artifact', async () => {
    const s = setup();
    const job = s.runner.submit({
      name: 'tiny',
      register: true,
      steps: [
        train(s.csv, 2),
        { command: 'quantize', args: ['m.tfmodel', '--dataset', `csv:${s.csv}`, '--out', 'm.tfm'] },
      ],
    });
    expect(job.status).toBe('queued');
    const done = await ended(s.fx, job.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.files).toEqual(['m.tfm', 'm.tfmodel']);
    const [trained, quantized] = done.results as Record<string, number>[];
    expect(trained?.test_accuracy).toBeGreaterThan(0.9);
    expect(quantized?.quant_accuracy).toBeGreaterThan(0.9);
    // the artifact is a verified, signed model in the registry
    expect(done.modelIds).toHaveLength(1);
    const model = s.fx.store.models.require(done.modelIds[0]!);
    expect(model.keyId).toBe(s.fx.ota.keys.ensureActive().id);
    // live events: queued, running (per step), succeeded, in that order
    const statuses = s.events.filter((e) => e.jobId === job.id).map((e) => e.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('succeeded');
    const steps = new Set(s.events.filter((e) => e.status === 'running').map((e) => e.progress.step));
    expect([...steps].sort()).toEqual([0, 1]);
    s.cleanup();
  });

  it("reads another job's file by job:ID/NAME, and a failing step fails the job with its message", async () => {
    const s = setup();
    const first = s.runner.submit({ name: 'train', steps: [train(s.csv, 1)] });
    expect((await ended(s.fx, first.id)).status).toBe('succeeded');
    const ev = s.runner.submit({
      name: 'eval',
      steps: [{ command: 'eval', args: [`job:${first.id}/m.tfmodel`, '--dataset', `csv:${s.csv}`] }],
    });
    const e = await ended(s.fx, ev.id);
    expect(e.status).toBe('succeeded');
    expect((e.results[0] as Record<string, number>).test_accuracy).toBeGreaterThan(0.5);
    const bad = s.runner.submit({
      name: 'bad',
      steps: [{ command: 'eval', args: ['missing.tfmodel', '--dataset', `csv:${s.csv}`] }],
    });
    const b = await ended(s.fx, bad.id);
    expect(b.status).toBe('failed');
    expect(b.error).toMatch(/step 1 \(eval\) exited with code 1: .*missing\.tfmodel/);
    s.cleanup();
  });

  it('cancels a running job (worker terminated) and a queued one; the next job still runs', async () => {
    const s = setup();
    const long = s.runner.submit({ name: 'long', steps: [train(s.csv, 10_000)] });
    const queued = s.runner.submit({ name: 'queued', steps: [train(s.csv, 10_000)] });
    const after = s.runner.submit({ name: 'after', steps: [train(s.csv, 1, 'a.tfmodel')] });
    // wait until the long one reports progress from inside its worker
    for (let i = 0; i < 2400 && !s.fx.store.jobs.require(long.id).progress.line; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(s.runner.cancel(queued.id).status).toBe('cancelled');
    s.runner.cancel(long.id);
    expect((await ended(s.fx, long.id)).status).toBe('cancelled');
    expect((await ended(s.fx, after.id)).status).toBe('succeeded');
    expect(s.fx.store.jobs.require(queued.id).startedMs).toBeNull();
    s.cleanup();
  });

  it('refuses bad steps before queueing, with the command parser message', () => {
    const s = setup();
    const bad: [string, string[], RegExp][] = [
      ['ota', ['list'], /command must be one of/],
      ['train', ['--arch', 'ref-cnn', '--bogus'], /Unknown option '--bogus'/],
      ['train', ['--arch', 'ref-cnn', '--out', '../escape.tfmodel'], /must be a file name in the job folder/],
      ['eval', ['/etc/passwd', '--dataset', 'mnist'], /must be a file name in the job folder/],
      ['eval', ['job:job_000000000000000000000/m.tfmodel', '--dataset', 'mnist'], /not found/],
      ['plan', ['--help'], /--help is not a job/],
    ];
    for (const [command, args, msg] of bad)
      expect(() => s.runner.submit({ name: 'x', steps: [{ command, args }] }), command).toThrow(msg);
    expect(s.fx.store.jobs.list({ limit: 10 }).items).toHaveLength(0);
    s.cleanup();
  });

  it('after a restart, a job left running is failed and queued ones run', async () => {
    const s = setup();
    await s.runner.stop();
    runner = undefined;
    const j = s.fx.store.jobs.create({ name: 'x', steps: [train(s.csv, 1)], register: false });
    s.fx.store.jobs.start(j.id);
    const q = s.fx.store.jobs.create({ name: 'y', steps: [train(s.csv, 1)], register: false });
    runner = new JobRunner({ jobs: s.fx.store.jobs, bus: s.fx.bus, dir: join(s.fx.dir, 'jobs') });
    runner.start();
    expect(s.fx.store.jobs.require(j.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/cloud stopped/),
    });
    expect(await ended(s.fx, q.id)).toMatchObject({ error: null, status: 'succeeded' });
    expect(existsSync(join(s.fx.dir, 'jobs', q.id, 'm.tfmodel'))).toBe(true);
    s.cleanup();
  });
});

describe('lineFraction', () => {
  it('reads training epochs and steps, done lines, and plain i/n', () => {
    expect(lineFraction('epoch 2/4 50/100 ETA 0:10 loss 0.1 acc 90%')).toBeCloseTo(0.375, 9);
    expect(lineFraction('epoch 2/4 done in 0:05: loss 0.1')).toBeCloseTo(0.5, 9);
    expect(lineFraction('scored 300/1000 candidates')).toBeCloseTo(0.3, 9);
    expect(lineFraction('float 98.2%, PTQ 98.1%')).toBeNull();
    expect(lineFraction('7/0 or 9/3')).toBeNull();
  });
});
