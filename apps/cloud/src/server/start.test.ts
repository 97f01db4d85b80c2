import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, type Message } from '@tinyfleet/protocol/messages';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encode, gradUpdate, hello, metrics } from '../broker/testing.js';
import { loadConfigFile, resolveConfig } from './config.js';
import { type RunningCloud, startCloud } from './start.js';

let dir: string;
const running: RunningCloud[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-cloud-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(extra: { ingestWorker?: boolean } = {}): Promise<RunningCloud> {
  const cloud = await startCloud({
    dataDir: dir,
    httpPort: 0,
    mqtt: { mode: 'embedded', port: 0, wsPort: 0 },
    ...extra,
  });
  running.push(cloud);
  return cloud;
}

function api(cloud: RunningCloud, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const init: RequestInit = {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${cloud.httpUrl}${path}`, init);
    return { status: res.status, json: (await res.json()) as T };
  };
}

describe('startCloud', () => {
  it('runs a session end to end: API -> GW_COMMAND -> metrics -> SSE, and keeps data across a restart', async () => {
    const cloud = await start();
    const token = cloud.adminToken ?? '';
    expect(token).toMatch(/^tft_/);
    expect((await fetch(`${cloud.httpUrl}/v1/fleets`)).status).toBe(401);
    const call = api(cloud, token);

    const fleet = (await call<{ id: string }>('POST', '/v1/fleets', { name: 'lab' })).json;
    const created = await call<{
      gateway: { id: string };
      mqtt: { url: string; username: string; password: string; clientId: string };
    }>('POST', '/v1/gateways', { fleetId: fleet.id, name: 'bench' });
    const creds = created.json.mqtt;
    const gwId = created.json.gateway.id;
    const gw = await mqtt.connectAsync(creds.url, { ...creds, clean: false, reconnectPeriod: 0 });
    try {
      await gw.subscribeAsync(`tf/v1/gw/${gwId}/down/#`, { qos: 1 });
      await gw.publishAsync(`tf/v1/gw/${gwId}/dev/d1/up/hello`, Buffer.from(encodeMessage(hello('d1'))), {
        qos: 1,
      });

      const commands: Message[] = [];
      gw.on('message', (_t, p: Buffer) => commands.push(decodeMessage(p)));
      const session = await call<{ id: string; wireId: number; status: string }>('POST', '/v1/sessions', {
        gatewayId: gwId,
        deviceIds: ['d1'],
        config: { lr: 0.01 },
        start: true,
      });
      expect(session.status).toBe(201);
      expect(session.json.status).toBe('starting');

      const sse = await fetch(`${cloud.httpUrl}/v1/stream?types=metrics&access_token=${token}`);
      const reader = sse.body?.getReader();
      if (!reader) throw new Error('no SSE body');
      let text = '';
      const read = async (needle: string) => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) throw new Error('SSE ended');
          text += new TextDecoder().decode(value);
        }
      };
      await read(': connected');
      const m = Buffer.from(encodeMessage(metrics(session.json.wireId, 1)));
      await gw.publishAsync(`tf/v1/gw/${gwId}/dev/d1/up/metrics`, m, { qos: 1 });
      await read('event: metrics');
      await read('\n\n');
      expect(text).toContain(`"sessionId":"${session.json.id}"`);
      await reader.cancel();

      expect(commands[0]).toMatchObject({ type: 'GW_COMMAND', command: 'train.start', targets: ['d1'] });
    } finally {
      await gw.endAsync(true);
    }
    await cloud.stop();

    const again = await start();
    expect(again.adminToken).toBeUndefined();
    const call2 = api(again, token);
    expect((await call2<{ items: unknown[] }>('GET', '/v1/fleets')).json.items).toHaveLength(1);
    const sessions = (await call2<{ items: { id: string }[] }>('GET', '/v1/sessions')).json.items;
    const series = await call2<{ items: { step: number }[] }>(
      'GET',
      `/v1/sessions/${sessions[0]?.id}/metrics`,
    );
    expect(series.json.items.map((p) => p.step)).toEqual([1]);
  });
});

describe('ingestWorker', () => {
  it('ingests gradient updates in a worker thread, acknowledged once stored, and stops it with the cloud', async () => {
    const cloud = await start({ ingestWorker: true });
    expect(cloud.ingestor.offloading).toBe(true);
    const fleet = cloud.store.fleets.create({ name: 'f' });
    const { gateway, password } = cloud.store.gateways.create({ fleetId: fleet.id, name: 'g' });
    const gw = await mqtt.connectAsync(cloud.mqttUrl, {
      clientId: `gw-${gateway.id}`,
      username: gateway.id,
      password,
      reconnectPeriod: 0,
    });
    try {
      const topic = `tf/v1/gw/${gateway.id}/dev/d1/up/grad`;
      for (const step of [1, 2, 2]) await gw.publishAsync(topic, encode(gradUpdate(7, step)), { qos: 1 });
    } finally {
      await gw.endAsync(true);
    }
    // Each PUBACK came after the worker's commit: the rows are there, the repeat stored once.
    expect(cloud.store.gradients.count()).toBe(2);
    expect(cloud.ingestor.stats).toMatchObject({ stored: 2, duplicate: 1 });
    await cloud.stop();
    expect(cloud.ingestor.offloading).toBe(false);
  });
});

describe('config', () => {
  it('resolves defaults, reads a file, and refuses unknown keys and half external setups', () => {
    const c = resolveConfig({}, '/srv');
    expect(c).toMatchObject({
      dataDir: '/srv/.tinyfleet/cloud',
      httpPort: 8080,
      mqtt: { port: 1883, wsPort: 8081 },
    });
    const file = join(dir, 'cloud.json');
    writeFileSync(file, JSON.stringify({ httpPort: 9000, mqtt: { wsPort: null } }));
    expect(resolveConfig(loadConfigFile(file), '/srv')).toMatchObject({
      httpPort: 9000,
      mqtt: { port: 1883, wsPort: null },
    });
    writeFileSync(file, JSON.stringify({ ingestWorker: true }));
    expect(resolveConfig(loadConfigFile(file), '/srv').ingestWorker).toBe(true);
    expect(c.ingestWorker).toBe(false);
    writeFileSync(file, JSON.stringify({ ingestWorker: 'yes' }));
    expect(() => loadConfigFile(file)).toThrow(/ingestWorker/);
    writeFileSync(file, JSON.stringify({ httpPrt: 1 }));
    expect(() => loadConfigFile(file)).toThrow(/httpPrt: unknown field/);
    writeFileSync(file, JSON.stringify({ mqtt: { mode: 'external', url: 'mqtt://x' } }));
    expect(() => loadConfigFile(file)).toThrow(/serviceSecret/);
    writeFileSync(file, '{');
    expect(() => loadConfigFile(file)).toThrow(/cannot read/);
  });
});
