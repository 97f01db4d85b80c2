/**
 * The gateway against the real embedded cloud (startCloud on port 0): HELLO registration, a training
 * session started from the API, and store-and-forward through a cloud outage (same data dir and ports).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud } from '@tinyfleet/cloud/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { memoryLogger } from '../log/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { MemoryPorts } from '../transport/index.js';
import { Gateway } from './gateway.js';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-cloud-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('gateway with the embedded cloud', () => {
  it('registers devices, runs a session from the API, and delivers every message exactly once across an outage', async () => {
    const cloudDir = join(dir, 'cloud');
    let cloud = await startCloud({
      dataDir: cloudDir,
      httpPort: 0,
      mqtt: { mode: 'embedded', port: 0, wsPort: null },
    });
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : cloud.stop()));
    const token = cloud.adminToken ?? '';
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${cloud.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const fleet = await api<{ id: string }>('POST', '/v1/fleets', { name: 'lab' });
    const created = await api<{ gateway: { id: string }; mqtt: { url: string; password: string } }>(
      'POST',
      '/v1/gateways',
      { fleetId: fleet.id, name: 'bench' },
    );

    const ports = new MemoryPorts();
    const log = memoryLogger('info');
    const config = parseConfig({
      gatewayId: created.gateway.id,
      dataDir: join(dir, 'gw'),
      mqtt: { url: created.mqtt.url, password: created.mqtt.password, reconnect: { baseMs: 50, maxMs: 300 } },
      ports: ['/dev/memA'],
      status: { host: '127.0.0.1', port: 0 },
      sources: [{ name: 'tiny', shape: [4, 4, 1], classes: 4, size: 64 }],
      sampleRate: 0,
    });
    const dev = new TestDeviceDouble(ports.plug('/dev/memA').device, {
      deviceId: 'devA',
      batch: 16,
      sbuf: 32,
    });
    cleanups.push(() => dev.close());
    const gw = await Gateway.start(config, { open: ports.open, log });
    cleanups.push(() => gw.stop());

    // HELLO reaches the cloud: the device is registered with its capabilities.
    await until(
      async () => (await api<{ items: { id: string }[] }>('GET', '/v1/devices')).items.length === 1,
    );
    const health = await (await fetch(`${gw.statusUrl}/status`)).json();
    expect(health).toMatchObject({ healthy: true, devices: [{ deviceId: 'devA', linked: true }] });

    // A session from the API: GW_COMMAND train.start -> TRAIN_START -> samples with credit -> metrics.
    const session = await api<{ id: string }>('POST', '/v1/sessions', {
      gatewayId: created.gateway.id,
      deviceIds: ['devA'],
      config: { src: 'tiny', epochs: 1, lr: 0.01 },
      start: true,
    });
    await until(
      async () => (await api<{ status: string }>('GET', `/v1/sessions/${session.id}`)).status === 'running',
    );
    const start = dev.received.find((m) => m.type === 'TRAIN_START');
    expect(start).toMatchObject({ maxSamples: 64, learningRate: expect.closeTo(0.01, 6) });
    await until(() => dev.samples.length === 64); // smax = epochs x size: the streamer stops there
    const seriesOf = async () =>
      (await api<{ items: { step: number }[] }>('GET', `/v1/sessions/${session.id}/metrics?limit=200`)).items;
    await until(async () => (await seriesOf()).length === 4);

    // Cloud outage: messages produced meanwhile wait in the durable outbox.
    const { port: httpPort } = new URL(cloud.httpUrl);
    const { port: mqttPort } = new URL(cloud.mqttUrl);
    await cloud.stop();
    stopped = true;
    await until(() => gw.uplink.state !== 'online');
    for (let step = 5; step <= 24; step++) dev.metrics(1, step); // sid 1 = the session's wire id
    await until(() => gw.outboxDepth >= 20);

    cloud = await startCloud({
      dataDir: cloudDir,
      httpPort: Number(httpPort),
      mqtt: { mode: 'embedded', port: Number(mqttPort), wsPort: null },
    });
    stopped = false;
    await until(() => gw.uplink.state === 'online' && gw.outboxDepth === 0);
    await until(async () => (await seriesOf()).length >= 24);
    const series = await seriesOf();
    expect(series.map((p) => p.step).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    expect(gw.uplink.stats.connects).toBeGreaterThanOrEqual(2);
  });
});
