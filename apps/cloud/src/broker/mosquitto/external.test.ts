import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningCloud, startCloud } from '../../server/index.js';
import { encode, hello, metrics } from '../testing.js';
import { type Mosquitto, mosquittoMissing, Processes, startMosquitto } from './process.js';
import { api, type GatewayCreds, registerGateways, until } from './testing.js';

// External broker mode (issue 6 item 1) against Debian's mosquitto, configured by acl.ts: the broker
// authenticates and enforces the ACL, the cloud is its `$service` client (PROTOCOL.md §2.2).
const missing = mosquittoMissing();
if (missing) console.warn(`skipping mosquitto external-mode tests: ${missing}`);

let dir: string;
let procs: Processes;
let broker: Mosquitto;
let cloud: RunningCloud;
let serviceSecret: string;
const clients: MqttClient[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-mosq-'));
  procs = new Processes();
  serviceSecret = randomBytes(24).toString('base64url');
  broker = await startMosquitto(procs, dir, { $service: serviceSecret });
  cloud = await startCloud({
    dataDir: join(dir, 'data'),
    httpPort: 0,
    mqtt: { mode: 'external', url: broker.url, serviceSecret },
  });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await cloud?.stop();
  await procs.killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Register gateways through the API and give mosquitto their credentials (infra/mosquitto/README.md). */
async function gateways(n: number): Promise<GatewayCreds[]> {
  const gws = await registerGateways(cloud, n);
  for (const g of gws) await broker.addUser(g.username, g.password);
  return gws;
}

async function connect(g: GatewayCreds): Promise<MqttClient> {
  const c = await mqtt.connectAsync(g.url, {
    clientId: g.clientId,
    username: g.username,
    password: g.password,
    clean: false,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  clients.push(c);
  return c;
}

const up = (gw: string, dev: string, kind: string) => `tf/v1/gw/${gw}/dev/${dev}/up/${kind}`;

function inbox(c: MqttClient): { topic: string; msg: Buffer }[] {
  const got: { topic: string; msg: Buffer }[] = [];
  c.on('message', (topic, msg) => got.push({ topic, msg }));
  return got;
}

describe.skipIf(missing !== undefined)('external broker mode with mosquitto', () => {
  it('ingests HELLO and TRAIN_METRICS once per message id and delivers commands on the downlink', async () => {
    const [g] = await gateways(1);
    if (!g) throw new Error('no gateway');
    expect(g.url).toBe(broker.url); // the API hands out the external broker's URL
    const gw = await connect(g);
    const got = inbox(gw);
    await gw.subscribeAsync(`tf/v1/gw/${g.id}/down/#`, { qos: 1 });

    await gw.publishAsync(up(g.id, 'd1', 'hello'), encode(hello('d1')), { qos: 1 });
    await gw.publishAsync(up(g.id, 'd1', 'hello'), encode(hello('d1')), { qos: 1 }); // a duplicate
    await until(() => cloud.store.devices.get('d1')?.gatewayId === g.id, 'the HELLO to be stored');

    // API -> GW_COMMAND through mosquitto to the gateway's down topic (PROTOCOL.md §2.1, §4.7).
    const call = api(cloud, cloud.adminToken ?? '');
    const session = await call<{ id: string; wireId: number }>('POST', '/v1/sessions', {
      gatewayId: g.id,
      deviceIds: ['d1'],
      config: { lr: 0.01 },
      start: true,
    });
    expect(session.status).toBe(201);
    await until(() => got.length > 0, 'the train.start command');
    expect(got[0]?.topic).toBe(`tf/v1/gw/${g.id}/down/cmd`);
    expect(decodeMessage(got[0]?.msg ?? Buffer.alloc(0))).toMatchObject({
      type: 'GW_COMMAND',
      command: 'train.start',
      targets: ['d1'],
    });

    // The same metric twice, then another: one connection, one topic, so the cloud sees them in order
    // (MQTT 3.1.1 §4.6) and once step 2 is stored the duplicate has been dealt with.
    const m1 = encode(metrics(session.json.wireId, 1));
    await gw.publishAsync(up(g.id, 'd1', 'metrics'), m1, { qos: 1 });
    await gw.publishAsync(up(g.id, 'd1', 'metrics'), m1, { qos: 1 });
    await gw.publishAsync(up(g.id, 'd1', 'metrics'), encode(metrics(session.json.wireId, 2)), { qos: 1 });
    const steps = () =>
      cloud.store.metrics.series({ sessionId: session.json.id, limit: 10 }).items.map((p) => p.step);
    await until(() => steps().includes(2), 'metrics step 2');
    expect(steps()).toEqual([1, 2]);
    expect(cloud.store.devices.list({ limit: 10 }).items.map((d) => d.id)).toEqual(['d1']);
  });

  it('rejects and logs malformed CBOR on every uplink topic while other clients carry on', async () => {
    const [a, b] = await gateways(2);
    if (!a || !b) throw new Error('no gateways');
    const ca = await connect(a);
    const cb = await connect(b);
    const garbage = Buffer.from([0xff, 0x00, 0x13, 0x37, 0xbf]);
    const topics = [
      `tf/v1/gw/${a.id}/status`,
      `tf/v1/gw/${a.id}/up/log`,
      up(a.id, 'd1', 'hello'),
      up(a.id, 'd1', 'metrics'),
    ];
    for (const t of topics) await ca.publishAsync(t, garbage, { qos: 1, retain: t.endsWith('/status') });
    await cb.publishAsync(up(b.id, 'd2', 'hello'), encode(hello('d2')), { qos: 1 });
    await ca.publishAsync(up(a.id, 'd3', 'hello'), encode(hello('d3')), { qos: 1 });

    await until(() => cloud.store.devices.get('d3') !== undefined, 'the valid HELLO after the garbage');
    expect(cloud.store.devices.get('d2')?.gatewayId).toBe(b.id);
    expect(cloud.store.devices.get('d1')).toBeUndefined();
    const rejected = cloud.store.events.list({ kind: 'ingest.rejected', limit: 10 }).items;
    expect(rejected.map((e) => e.gatewayId)).toEqual(topics.map(() => a.id));
    expect(rejected.map((e) => (e.data as { topic: string }).topic).sort()).toEqual([...topics].sort());
    expect(ca.connected && cb.connected).toBe(true);
  });

  it('keeps each gateway in its own subtree and refuses bad credentials', async () => {
    const [a, b] = await gateways(2);
    if (!a || !b) throw new Error('no gateways');
    const ca = await connect(a);
    const cb = await connect(b);
    const gotA = inbox(ca);
    const gotB = inbox(cb);
    // mosquitto's acl_file does not refuse a SUBSCRIBE (the SUBACK grants it); it checks `read` access on
    // every message it would deliver instead, so these filters never deliver anything of B's.
    await ca.subscribeAsync(
      [`tf/v1/gw/${b.id}/down/#`, 'tf/v1/gw/+/down/#', '#', `tf/v1/gw/${a.id}/down/#`],
      {
        qos: 1,
      },
    );
    await cb.subscribeAsync(`tf/v1/gw/${b.id}/down/#`, { qos: 1 });

    // A publishes into B's subtree: mosquitto acknowledges and drops it (MQTT 3.1.1 cannot refuse it).
    await ca.publishAsync(up(b.id, 'dx', 'hello'), encode(hello('dx')), { qos: 1 });
    await ca.publishAsync(`tf/v1/gw/${b.id}/status`, Buffer.from([0xa0]), { qos: 1, retain: true });
    await ca.publishAsync(up(a.id, 'da', 'hello'), encode(hello('da')), { qos: 1 });
    await until(() => cloud.store.devices.get('da') !== undefined, "A's own HELLO");
    expect(cloud.store.devices.get('dx')).toBeUndefined();
    expect(cloud.store.events.list({ gatewayId: b.id, limit: 10 }).items.map((e) => e.kind)).toEqual([
      'gateway.created',
    ]);

    // The service writes to B, then to A: A's first delivery is its own, so B's never reached it.
    const svc = await mqtt.connectAsync(broker.url, {
      clientId: 'svc-probe',
      username: '$service',
      password: serviceSecret,
      reconnectPeriod: 0,
    });
    clients.push(svc);
    const cmd = (): Buffer =>
      Buffer.from(
        encodeMessage({
          type: 'GW_COMMAND',
          id: randomMessageId(),
          ts: Date.now(),
          commandId: 'probe',
          command: 'train.stop',
          targets: [],
          args: {},
        } as Message),
      );
    await svc.publishAsync(`tf/v1/gw/${b.id}/down/cmd`, cmd(), { qos: 1 });
    await svc.publishAsync(`tf/v1/gw/${a.id}/down/cmd`, cmd(), { qos: 1 });
    await until(() => gotA.length > 0 && gotB.length > 0, 'both downlinks');
    expect(gotB.map((m) => m.topic)).toEqual([`tf/v1/gw/${b.id}/down/cmd`]);
    expect(gotA[0]?.topic).toBe(`tf/v1/gw/${a.id}/down/cmd`);
    expect(gotA.every((m) => m.topic.startsWith(`tf/v1/gw/${a.id}/`))).toBe(true);

    // Wrong password, and a gateway's secret used under another gateway's name.
    for (const [username, password] of [
      [a.username, 'wrong'],
      [b.username, a.password],
    ] as const) {
      await expect(
        mqtt.connectAsync(broker.url, {
          clientId: `gw-${username}`,
          username,
          password,
          reconnectPeriod: 0,
          connectTimeout: 5000,
        }),
      ).rejects.toThrow(/Not authorized|Bad username or password/i);
    }
  });
});
