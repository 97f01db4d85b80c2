/**
 * `ota.job` end to end against the real embedded cloud (startCloud on port 0): a model signed by the
 * cloud (`POST /v1/models?sign=1`), a campaign (`POST /v1/campaigns`), keys fetched from `GET /v1/keys`,
 * block transfer over MQTT (§2.7) and delivery to two TestDeviceDouble devices (§4.6).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud } from '@tinyfleet/cloud/server';
import { writeArtifact } from '@tinyfleet/protocol/artifact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { Gateway } from '../daemon/gateway.js';
import { memoryLogger } from '../log/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { MemoryPorts } from '../transport/index.js';
import { bigModel } from './testing.js';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-ota-cloud-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const EXAMPLE_OPS = [1, 4, 5, 7, 12, 13]; // the example model's kernels (OpKind values)

describe('ota.job with the embedded cloud', () => {
  it('downloads a cloud-signed model once and confirms it on two devices', async () => {
    const cloud = await startCloud({
      dataDir: join(dir, 'cloud'),
      httpPort: 0,
      mqtt: { mode: 'embedded', port: 0, wsPort: null },
    });
    cleanups.push(() => cloud.stop());
    const headers = { authorization: `Bearer ${cloud.adminToken ?? ''}` };
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${cloud.httpUrl}${path}`, {
        method,
        headers: { ...headers, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const fleet = await api<{ id: string }>('POST', '/v1/fleets', { name: 'lab' });
    const gwc = await api<{ gateway: { id: string }; mqtt: { url: string; password: string } }>(
      'POST',
      '/v1/gateways',
      {
        fleetId: fleet.id,
        name: 'site',
      },
    );
    const artifact = writeArtifact(bigModel());
    const up = await fetch(`${cloud.httpUrl}/v1/models?sign=1`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: artifact,
    });
    expect(up.status).toBeLessThan(300);
    const model = (await up.json()) as { id: string; size: number };

    const ports = new MemoryPorts();
    const devs = ['devA', 'devB'].map(
      (id) => new TestDeviceDouble(ports.plug(`/dev/${id}`).device, { deviceId: id, opKinds: EXAMPLE_OPS }),
    );
    for (const d of devs) cleanups.push(() => d.close());
    const gw = await Gateway.start(
      parseConfig({
        gatewayId: gwc.gateway.id,
        dataDir: join(dir, 'gw'),
        mqtt: { url: gwc.mqtt.url, password: gwc.mqtt.password, reconnect: { baseMs: 50, maxMs: 300 } },
        ports: ['/dev/devA', '/dev/devB'],
        status: null,
        keys: { cloudApiUrl: cloud.httpUrl },
      }),
      { open: ports.open, log: memoryLogger('warn') },
    );
    cleanups.push(() => gw.stop());
    await until(async () => (await api<{ items: unknown[] }>('GET', '/v1/devices')).items.length === 2);

    const campaign = await api<{ id: string }>('POST', '/v1/campaigns', {
      name: 'roll',
      modelId: model.id,
      target: { deviceIds: ['devA', 'devB'] },
    });
    await until(
      async () =>
        (await api<{ status: string }>('GET', `/v1/campaigns/${campaign.id}`)).status === 'succeeded',
    );
    for (const d of devs) {
      expect(d.ota.state).toBe('CONFIRMED');
      expect(d.ota.received).toHaveLength(1);
    }
    // One download for the site: cloud egress <= 1.1 x artifact (issue 7 item 5).
    const c = await api<{ egressBytes: number }>('GET', `/v1/campaigns/${campaign.id}`);
    expect(c.egressBytes).toBeGreaterThanOrEqual(model.size);
    expect(c.egressBytes).toBeLessThanOrEqual(1.1 * model.size);
    const execs = await api<{ items: { state: string }[] }>('GET', `/v1/campaigns/${campaign.id}/executions`);
    expect(execs.items.map((e) => e.state)).toEqual(['succeeded', 'succeeded']);
  });
});
