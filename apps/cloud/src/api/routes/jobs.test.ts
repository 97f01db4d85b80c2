import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeWindowsCsv } from '../../cli/fixtures.js';
import { JobRunner } from '../../jobs/runner.js';
import { type OtaFixture, openOtaFixture } from '../../ota/testing.js';
import type { Job } from '../../store/index.js';
import { createApi } from '../app.js';

let fx: OtaFixture;
let runner: JobRunner;
let app: ReturnType<typeof createApi>;
let admin: string;
let reader: string;
let csv: string;
let dataDir: string;
let shutdown: AbortController;

beforeEach(() => {
  fx = openOtaFixture();
  fx.ota.keys.ensureActive();
  dataDir = mkdtempSync(join(tmpdir(), 'tf-jobs-api-'));
  csv = writeWindowsCsv(dataDir);
  runner = new JobRunner({ jobs: fx.store.jobs, bus: fx.bus, dir: join(fx.dir, 'jobs'), ota: fx.ota });
  runner.start();
  admin = fx.store.tokens.create({ name: 'admin', scope: 'admin' }).secret;
  reader = fx.store.tokens.create({ name: 'reader', scope: 'read' }).secret;
  shutdown = new AbortController();
  app = createApi({
    store: fx.store,
    bus: fx.bus,
    commander: { send: async () => {} },
    mqtt: { url: 'mqtt://localhost:1883' },
    ota: fx.ota,
    jobs: runner,
    shutdown: shutdown.signal,
  });
});
afterEach(async () => {
  shutdown.abort();
  await runner.stop();
  fx.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (path: string, body: unknown, token = admin) =>
  app.request(path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const get = (path: string) => app.request(path, { headers: { authorization: `Bearer ${reader}` } });

const trainStep = (epochs: number) => ({
  command: 'train',
  args: ['--arch', 'ds-cnn', '--width', '8', '--depth', '1', '--epochs', String(epochs)].concat([
    '--batch',
    '16',
    '--lr',
    '0.1',
    '--threads',
    '1',
    '--dataset',
    `csv:${csv}`,
    '--out',
    'm.tfmodel',
  ]),
});

async function until(id: string, done: (j: Job) => boolean): Promise<Job> {
  for (let i = 0; i < 2400; i++) {
    const j = (await (await get(`/v1/jobs/${id}`)).json()) as Job;
    if (done(j)) return j;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not get there`);
}

describe('jobs API', () => {
  it('queues a job, streams its progress on SSE, lists it, serves its files', async () => {
    const sse = await app.request('/v1/stream?types=job', { headers: { authorization: `Bearer ${reader}` } });
    expect(sse.status).toBe(200);
    const res = await post('/v1/jobs', { name: 'tiny', steps: [trainStep(2)] });
    expect(res.status).toBe(201);
    const job = (await res.json()) as Job;
    expect(job).toMatchObject({ name: 'tiny', status: 'queued', register: false });
    const done = await until(job.id, (j) => j.status !== 'queued' && j.status !== 'running');
    expect(done).toMatchObject({ status: 'succeeded', files: ['m.tfmodel'], error: null });
    expect(done.progress.fraction).toBe(1);

    // the SSE stream carried this job's events, ending with its success
    const reader2 = sse.body!.getReader();
    let text = '';
    while (!text.includes('"status":"succeeded"')) {
      const { value, done: end } = await reader2.read();
      if (end) break;
      text += new TextDecoder().decode(value);
    }
    await reader2.cancel();
    expect(text).toContain('event: job');
    expect(text).toContain(`"jobId":"${job.id}"`);
    expect(text).toMatch(/"line":"epoch 1\/2/);

    const list = (await (await get('/v1/jobs?status=succeeded')).json()) as { items: Job[] };
    expect(list.items.map((j) => j.id)).toEqual([job.id]);
    const file = await get(`/v1/jobs/${job.id}/files/m.tfmodel`);
    expect(file.status).toBe(200);
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(100);
    expect((await get(`/v1/jobs/${job.id}/files/other.bin`)).status).toBe(404);
  });

  it('answers 400 with the command message for bad steps, 403 for a read token, and cancels', async () => {
    const bad = await post('/v1/jobs', {
      name: 'x',
      steps: [{ command: 'train', args: ['--epochs', '1', '--bogus'] }],
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const shape = await post('/v1/jobs', { name: 'x', steps: [{ command: 'rm', args: [] }] });
    expect(shape.status).toBe(400);
    expect((await post('/v1/jobs', { name: 'x', steps: [trainStep(1)] }, reader)).status).toBe(403);

    const long = (await (await post('/v1/jobs', { name: 'long', steps: [trainStep(10_000)] })).json()) as Job;
    await until(long.id, (j) => j.progress.line !== null);
    const c = await post(`/v1/jobs/${long.id}/cancel`, {});
    expect(c.status).toBe(200);
    expect((await until(long.id, (j) => j.status !== 'running')).status).toBe('cancelled');
    expect((await post('/v1/jobs/job_000000000000000000000/cancel', {})).status).toBe(404);
  });
});
