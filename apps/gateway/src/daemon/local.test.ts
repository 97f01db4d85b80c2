/**
 * The local CLI (`tinyfleet-gateway session ...`) and the live source against a running daemon with
 * in-memory device doubles: sessions started and stopped locally, a clear error for a missing data set
 * (the daemon carries on), live samples POSTed to /samples, quantized and flow-controlled (§4.3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { memoryLogger } from '../log/index.js';
import { isLoopback } from '../status/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { MemoryPorts } from '../transport/index.js';
import { main } from './cli.js';
import { Gateway } from './gateway.js';

let dir: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-local-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['session', ...argv], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

async function site() {
  const ports = new MemoryPorts();
  const devs = ['devA', 'devB'].map(
    (id) => new TestDeviceDouble(ports.plug(`/dev/${id}`).device, { deviceId: id, sbuf: 8, batch: 4 }),
  );
  const gw = await Gateway.start(
    parseConfig({
      gatewayId: 'gw_local',
      dataDir: join(dir, 'gw'),
      mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x', reconnect: { baseMs: 1000, maxMs: 1000 } },
      ports: ['/dev/devA', '/dev/devB'],
      status: { host: '127.0.0.1', port: 0 },
      sampleRate: 0,
      sources: [
        { name: 'tiny', shape: [4, 4, 1], classes: 4, size: 64 },
        {
          name: 'feed',
          type: 'live',
          shape: [2, 2, 1],
          classes: 3,
          queue: 4,
          input: { scale: 0.5, zeroPoint: 128 },
        },
        { name: 'gone', type: 'mnist', dir: join(dir, 'nowhere') },
      ],
    }),
    { open: ports.open, log: memoryLogger('warn') },
  );
  cleanups.push(async () => {
    await gw.stop();
    for (const d of devs) await d.close();
  });
  await until(() => gw.devices.get('devA') !== undefined && gw.devices.get('devB') !== undefined);
  return { gw, devs, url: gw.statusUrl ?? '' };
}

const batches = (d: TestDeviceDouble, sid: number) =>
  d.received.filter(
    (m): m is Extract<Message, { type: 'SAMPLE_BATCH' }> => m.type === 'SAMPLE_BATCH' && m.sessionId === sid,
  );

describe('local CLI', () => {
  it('starts, shows and stops sessions on the running daemon; results go to the cloud outbox', async () => {
    const { gw, devs, url } = await site();
    const [a, b] = devs as [TestDeviceDouble, TestDeviceDouble];
    const started = await cli(
      'start',
      '--all',
      '--source',
      'tiny',
      '--lr',
      '0.01',
      '--steps',
      '3',
      '--url',
      url,
    );
    expect(started.err).toBe('');
    expect(started.code).toBe(0);
    const sid = Number(/^session (\d+)/.exec(started.out)?.[1]);
    expect(sid).toBeGreaterThanOrEqual(0x8000_0000);
    expect(started.out).toMatch(/devA\tok\t\{"sid":\d+,"st":"RUNNING"\}/);
    for (const d of devs) {
      expect(d.received.find((m) => m.type === 'TRAIN_START')).toMatchObject({
        sessionId: sid,
        maxSteps: 3,
        learningRate: expect.closeTo(0.01, 6),
      });
    }
    await until(() => a.samples.length >= 8 && b.samples.length >= 8);
    expect(gw.outboxDepth).toBeGreaterThanOrEqual(2); // GW_COMMAND_RESULT per device, for the cloud

    const status = await cli('status', '--url', url);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`devA\\tsid ${sid}\\ttiny`));
    expect(status.out).toMatch(/devB/);

    const stopped = await cli('stop', '--device', 'devA', '--url', url);
    expect(stopped.code).toBe(0);
    expect(a.received.some((m) => m.type === 'TRAIN_STOP' && m.sessionId === sid)).toBe(true);
    expect(gw.commands.sessions.map((s) => s.device)).toEqual(['devB']);
    expect((await cli('stop', '--all', '--url', url)).code).toBe(0);
    expect(gw.commands.sessions).toEqual([]);
    expect((await cli('stop', '--all', '--url', url)).code).toBe(1); // nothing left to stop
  });

  it('reports a missing data set in the result, and the daemon carries on', async () => {
    const { devs, url } = await site();
    const r = await cli('start', '--device', 'devA', '--source', 'gone', '--url', url);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/devA\tBAD_STATE\tsource gone \(mnist\): data set not found/);
    expect(devs[0]!.received.some((m) => m.type === 'TRAIN_START')).toBe(false); // nothing sent
    const bad = await cli('start', '--device', 'devA', '--source', 'nope', '--url', url);
    expect(bad).toMatchObject({ code: 1, err: expect.stringContaining('no data source "nope"') });
    expect((await cli('start', '--url', url)).code).toBe(2);
    expect((await fetch(`${url}/status`)).status).toBe(200);
  });

  it('streams live samples POSTed to /samples: quantized, bounded queue drops the oldest', async () => {
    const { gw, devs, url } = await site();
    const b = devs[1]!;
    const r = await cli('start', '--device', 'devB', '--source', 'feed', '--sid', '77', '--url', url);
    expect(r.code).toBe(0);
    const post = (body: unknown) =>
      fetch(`${url}/samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Six samples into a queue of four: the first two are dropped (the device's credit is 8).
    const samples = Array.from({ length: 6 }, (_, i) => ({ x: [i, -1, 0.5, 100], y: i % 3 }));
    const res = await post({ source: 'feed', samples });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 6, sessions: 1 });
    await until(() => b.samples.length === 4);
    const sent = batches(b, 77);
    expect(sent[0]).toMatchObject({ firstSeq: 0, inputScale: 0.5, inputZeroPoint: 128 });
    const xs = sent.flatMap((m) => [...m.x]);
    // x / 0.5 + 128, clamped: samples 2..5.
    expect(xs).toEqual([2, 3, 4, 5].flatMap((i) => [128 + 2 * i, 126, 129, 255]));
    expect(b.samples).toEqual([2, 0, 1, 2]);
    expect(gw.snapshot().sources).toMatchObject({
      feed: { received: 6, dropped: 2, queued: 0, sessions: 1 },
    });

    // One more later: streamed as it arrives (no source name needed with a single live source).
    expect((await post({ x: [1, 1, 1, 1], y: 2 })).status).toBe(202);
    await until(() => b.samples.length === 5);

    const wrong = await post({ source: 'feed', x: [1, 2, 3], y: 0 });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toMatch(
      /x: 4 numbers expected \(shape \[2,2,1\]\), got 3/,
    );
    expect((await post({ source: 'feed', x: [1, 2, 3, 4], y: 3 })).status).toBe(400);
    expect((await post({ source: 'tiny', x: [1], y: 0 })).status).toBe(404);
  });

  it('accepts control requests from loopback addresses only', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true]);
    expect(['10.0.0.2', '::ffff:192.168.1.4', undefined].map(isLoopback)).toEqual([false, false, false]);
  });
});
