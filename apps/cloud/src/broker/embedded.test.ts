import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { decodeMessage } from '@tinyfleet/protocol/messages';
import { MONITOR_USERNAME } from '@tinyfleet/protocol/mqtt';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { brokerCommander } from './commander.js';
import { type BrokerFixture, encode, gradUpdate, hello, metrics, startBrokerFixture } from './testing.js';

let fx: BrokerFixture;
const clients: MqttClient[] = [];

beforeEach(async () => {
  fx = await startBrokerFixture();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await fx.close();
});

async function connectGateway(
  gw: { id: string; password: string },
  url = fx.broker.mqttUrl,
): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    clientId: `gw-${gw.id}`,
    username: gw.id,
    password: gw.password,
    clean: false,
    reconnectPeriod: 0,
  });
  clients.push(c);
  return c;
}

const up = (gw: string, dev: string, kind: string) => `tf/v1/gw/${gw}/dev/${dev}/up/${kind}`;

/** The SUBACK return code of one filter: the granted QoS, or 0x80 when refused. */
async function grant(c: MqttClient, filter: string): Promise<number> {
  try {
    const [g] = await c.subscribeAsync(filter, { qos: 1 });
    return g?.qos ?? -1;
  } catch (e) {
    return (e as { packet?: { granted?: number[] } }).packet?.granted?.[0] ?? -1;
  }
}

const grants = async (c: MqttClient, filters: string[]) => {
  const out: number[] = [];
  for (const f of filters) out.push(await grant(c, f));
  return out;
};

/** The next `event` of an MQTT.js client, with its arguments. */
function next<T extends unknown[]>(c: MqttClient, event: 'close' | 'message'): Promise<T> {
  return new Promise((resolve) => c.once(event, (...args: unknown[]) => resolve(args as T)));
}

/** Resolves when the client's connection is closed by the broker. */
const closed = (c: MqttClient) => next(c, 'close');

describe('authentication', () => {
  it('refuses a wrong password, a foreign client id and an unknown user name', async () => {
    const gw = fx.gateway();
    const attempts = [
      { clientId: `gw-${gw.id}`, username: gw.id, password: 'wrong' },
      { clientId: 'gw-someone-else', username: gw.id, password: gw.password },
      { clientId: 'x', username: 'no/such', password: 'x' },
    ];
    for (const opts of attempts) {
      await expect(mqtt.connectAsync(fx.broker.mqttUrl, { ...opts, reconnectPeriod: 0 })).rejects.toThrow(
        /Bad username or password|Not authorized|Identifier rejected/,
      );
    }
  });
});

describe('will', () => {
  it('refuses a CONNECT whose will is not its own status (CONNACK 0x05)', async () => {
    const a = fx.gateway('a');
    const b = fx.gateway('b');
    const will = {
      topic: `tf/v1/gw/${b.id}/status`,
      payload: Buffer.from([0xa0]),
      qos: 1 as const,
      retain: true,
    };
    await expect(
      mqtt.connectAsync(fx.broker.mqttUrl, {
        clientId: `gw-${a.id}`,
        username: a.id,
        password: a.password,
        reconnectPeriod: 0,
        will,
      }),
    ).rejects.toThrow(/Not authorized/);
  });
});

describe('ACL', () => {
  it('lets a gateway publish in its subtree and refuses another gateway subtree', async () => {
    const a = fx.gateway('a');
    const b = fx.gateway('b');
    const ca = await connectGateway(a);
    await ca.publishAsync(up(a.id, 'dev1', 'hello'), encode(hello('dev1')), { qos: 1 });
    expect(fx.store.devices.get('dev1')?.gatewayId).toBe(a.id);

    const gone = closed(ca);
    ca.publish(up(b.id, 'dev2', 'hello'), encode(hello('dev2')), { qos: 1 });
    await gone; // MQTT 3.1.1 cannot refuse one PUBLISH: the broker closes the connection (§2.2)
    expect(fx.store.devices.get('dev2')).toBeUndefined();
    expect(fx.store.events.list({ limit: 10, kind: 'mqtt.publish_refused' }).items).toHaveLength(1);
  });

  it('refuses subscriptions outside the subtree with SUBACK 0x80, and grants its own', async () => {
    const a = fx.gateway('a');
    const b = fx.gateway('b');
    const ca = await connectGateway(a);
    const filters = [
      `tf/v1/gw/${a.id}/down/#`,
      `tf/v1/gw/${b.id}/down/#`,
      'tf/v1/gw/+/down/#',
      '#',
      `tf/v1/gw/${a.id}/#`,
    ];
    expect(await grants(ca, filters)).toEqual([1, 128, 128, 128, 128]);
    expect(ca.connected).toBe(true); // a refused filter does not cost the connection
  });

  it('lets a monitor read telemetry over WebSocket with a read token, but not commands', async () => {
    const token = fx.store.tokens.create({ name: 'monitor', scope: 'read' }).secret;
    const wsUrl = fx.broker.wsUrl ?? '';
    const mon = await mqtt.connectAsync(wsUrl, {
      clientId: 'mon-test1',
      username: MONITOR_USERNAME,
      password: token,
      reconnectPeriod: 0,
    });
    clients.push(mon);
    expect(await grants(mon, ['tf/v1/gw/+/dev/+/up/#', 'tf/v1/gw/+/down/#'])).toEqual([1, 128]);

    const gw = fx.gateway();
    const cg = await connectGateway(gw);
    const got = next<[string, Buffer]>(mon, 'message');
    await cg.publishAsync(up(gw.id, 'd1', 'hello'), encode(hello('d1')), { qos: 1 });
    const [topic] = await got;
    expect(topic).toBe(up(gw.id, 'd1', 'hello'));
  });
});

describe('ingestion', () => {
  it('stores a message once when it is published twice with the same id', async () => {
    const gw = fx.gateway();
    const c = await connectGateway(gw);
    await c.publishAsync(up(gw.id, 'd1', 'hello'), encode(hello('d1')), { qos: 1 });
    const m = encode(metrics(7, 1));
    const g = encode(gradUpdate(7, 1));
    for (let i = 0; i < 2; i++) {
      await c.publishAsync(up(gw.id, 'd1', 'metrics'), m, { qos: 1 });
      await c.publishAsync(up(gw.id, 'd1', 'grad'), g, { qos: 1 });
    }
    const session = fx.store.sessions.byWireId(gw.id, 7);
    expect(session?.status).toBe('running'); // adopted: started at the gateway
    expect(fx.store.metrics.series({ sessionId: session?.id ?? '', limit: 10 }).items).toHaveLength(1);
    expect(fx.store.gradients.count(session?.id)).toBe(1);
    expect(fx.ingestor.stats.duplicate).toBe(2);
  });

  it('acknowledges and logs malformed CBOR without forwarding it or disturbing other clients', async () => {
    const a = fx.gateway('a');
    const b = fx.gateway('b');
    const ca = await connectGateway(a);
    const cb = await connectGateway(b);
    const token = fx.store.tokens.create({ name: 'monitor', scope: 'read' }).secret;
    const mon = await mqtt.connectAsync(fx.broker.mqttUrl, {
      clientId: 'mon-x',
      username: MONITOR_USERNAME,
      password: token,
      reconnectPeriod: 0,
    });
    clients.push(mon);
    await mon.subscribeAsync('tf/v1/gw/+/dev/+/up/#', { qos: 1 });
    const seen: string[] = [];
    mon.on('message', (topic) => seen.push(topic));

    for (const garbage of [Buffer.from([0xff, 0x00, 0x13]), encode(hello('d1')), Buffer.from('{"json":1}')]) {
      await ca.publishAsync(up(a.id, 'd1', 'metrics'), garbage, { qos: 1 }); // PUBACK: the sender moves on
    }
    const rejected = fx.store.events.list({ limit: 10, kind: 'ingest.rejected' }).items;
    expect(rejected.map((e) => e.data)).toMatchObject([{ code: 'MALFORMED' }, { code: 'BAD_FIELD' }, {}]);
    expect(rejected).toHaveLength(3);

    // Both gateways keep working, and the monitor sees only the valid message.
    await ca.publishAsync(up(a.id, 'd1', 'hello'), encode(hello('d1')), { qos: 1 });
    const delivered = next<[string, Buffer]>(mon, 'message');
    await cb.publishAsync(up(b.id, 'd2', 'hello'), encode(hello('d2')), { qos: 1 });
    await delivered;
    expect(fx.store.devices.get('d1')).toBeDefined();
    expect(fx.store.devices.get('d2')).toBeDefined();
    expect(seen.every((t) => t.endsWith('/hello'))).toBe(true);
    expect(ca.connected && cb.connected).toBe(true);
  });

  it('records presence from the retained status and from the last will', async () => {
    const gw = fx.gateway();
    const status = (online: boolean, ts: number, since = 1000) =>
      encode({
        type: 'GW_STATUS',
        id: new Uint8Array(16).fill(ts % 256),
        ts,
        since,
        online,
        gatewayVersion: '0.1.0',
        ...(online && { uptimeMs: 1, outbox: 0, devices: [] }),
      });
    const c = await mqtt.connectAsync(fx.broker.mqttUrl, {
      clientId: `gw-${gw.id}`,
      username: gw.id,
      password: gw.password,
      reconnectPeriod: 0,
      will: { topic: `tf/v1/gw/${gw.id}/status`, payload: status(false, 2000), qos: 1, retain: true },
    });
    const presence: boolean[] = [];
    fx.bus.subscribe((e) => {
      if (e.type === 'presence') presence.push(e.online);
    });
    await c.publishAsync(`tf/v1/gw/${gw.id}/status`, status(true, 1000), { qos: 1, retain: true });
    expect(fx.store.gateways.get(gw.id)?.online).toBe(true);
    const offline = new Promise<void>((resolve) => {
      fx.bus.subscribe((e) => e.type === 'presence' && !e.online && resolve());
    });
    c.stream.destroy(); // no DISCONNECT: the broker publishes the will (§2.3 item 1)
    await offline;
    expect(fx.store.gateways.get(gw.id)?.online).toBe(false);
    expect(presence).toEqual([true, false]);

    // §2.3 item 5: a newer connection is online; a late will of the old one does not undo that.
    const c2 = await connectGateway(gw);
    await c2.publishAsync(`tf/v1/gw/${gw.id}/status`, status(true, 3000, 2500), { qos: 1, retain: true });
    await c2.publishAsync(`tf/v1/gw/${gw.id}/status`, status(false, 2001, 1000), { qos: 1, retain: true });
    expect(fx.store.gateways.get(gw.id)?.online).toBe(true);
    expect(presence).toEqual([true, false, true]);
  });
});

describe('commands and limits', () => {
  it('delivers a GW_COMMAND to the gateway downlink', async () => {
    const gw = fx.gateway();
    const c = await connectGateway(gw);
    await c.subscribeAsync(`tf/v1/gw/${gw.id}/down/#`, { qos: 1 });
    fx.store.devices.upsertFromHello({ gatewayId: gw.id, deviceId: 'd1', capabilities: {} });
    const s = fx.store.sessions.create({ gatewayId: gw.id, deviceIds: ['d1'], config: { lr: 0.01 } });
    const got = next<[string, Buffer]>(c, 'message');
    await brokerCommander(fx.broker, fx.store).send(gw.id, {
      op: 'session.start',
      sessionId: s.id,
      deviceIds: ['d1'],
      config: { lr: 0.01 },
    });
    const [topic, payload] = await got;
    expect(topic).toBe(`tf/v1/gw/${gw.id}/down/cmd`);
    const cmd = decodeMessage(payload);
    expect(cmd).toMatchObject({
      type: 'GW_COMMAND',
      command: 'train.start',
      targets: ['d1'],
      args: { sid: s.wireId, lr: 0.01 },
    });
    if (cmd.type !== 'GW_COMMAND') throw new Error('not a command');

    // The gateway's GW_COMMAND_RESULT (PROTOCOL.md §4.7.3) moves the session from starting to running.
    fx.store.sessions.setStatus(s.id, 'starting');
    const result = encode({
      type: 'GW_COMMAND_RESULT',
      id: new Uint8Array(16).fill(9),
      re: cmd.id,
      commandId: cmd.commandId,
      deviceId: 'd1',
      ok: true,
    });
    await c.publishAsync(`tf/v1/gw/${gw.id}/up/cmd-result`, result, { qos: 1 });
    expect(fx.store.sessions.require(s.id).status).toBe('running');
  });

  it('closes a connection announcing a packet larger than the limit', async () => {
    const gw = fx.gateway();
    const c = await connectGateway(gw);
    const raw = netConnect(Number(new URL(fx.broker.mqttUrl).port), '127.0.0.1');
    await once(raw, 'connect');
    const done = once(raw, 'close');
    // PUBLISH fixed header announcing 1 MiB (Remaining Length 0x80 0x80 0x40), then nothing.
    raw.write(Buffer.from([0x30, 0x80, 0x80, 0x40]));
    await done;
    expect(c.connected).toBe(true);
  });
});
