import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExternalBroker } from './external.js';
import { type BrokerFixture, encode, hello, metrics, startBrokerFixture } from './testing.js';

// External mode against a broker the cloud does not run. Here that broker is our own aedes setup with
// in-process ingestion switched off (it still authenticates and enforces the ACL); the same mode against
// Debian's mosquitto is tested in ./mosquitto/external.test.ts.
let fx: BrokerFixture;
let ext: ExternalBroker;
let gw: MqttClient | undefined;

beforeEach(async () => {
  fx = await startBrokerFixture({ ingest: false });
  ext = await ExternalBroker.connect({
    url: fx.broker.mqttUrl,
    serviceSecret: fx.serviceSecret,
    instance: 'test',
    ingestor: fx.ingestor,
  });
});
afterEach(async () => {
  await gw?.endAsync(true);
  await ext.close();
  await fx.close();
});

describe('external broker mode', () => {
  it('ingests uplinks through the service subscription, once per message id', async () => {
    const g = fx.gateway();
    gw = await mqtt.connectAsync(fx.broker.mqttUrl, {
      clientId: `gw-${g.id}`,
      username: g.id,
      password: g.password,
      reconnectPeriod: 0,
    });
    const up = (kind: string) => `tf/v1/gw/${g.id}/dev/d1/up/${kind}`;
    await gw.publishAsync(up('hello'), encode(hello('d1')), { qos: 1 });
    const m = encode(metrics(3, 1));
    await gw.publishAsync(up('metrics'), m, { qos: 1 });
    await gw.publishAsync(up('metrics'), m, { qos: 1 });
    // The gateway's PUBACK comes from the broker, not from us: wait for our ingestion to see all three.
    while (fx.ingestor.stats.stored + fx.ingestor.stats.duplicate < 3)
      await new Promise((r) => setImmediate(r));
    expect(fx.store.devices.get('d1')?.gatewayId).toBe(g.id);
    const s = fx.store.sessions.byWireId(g.id, 3);
    expect(fx.store.metrics.series({ sessionId: s?.id ?? '', limit: 10 }).items).toHaveLength(1);
    expect(fx.ingestor.stats.duplicate).toBe(1);
  });

  it('refuses a wrong service secret', async () => {
    await expect(
      ExternalBroker.connect({ url: fx.broker.mqttUrl, serviceSecret: 'nope', ingestor: fx.ingestor }),
    ).rejects.toThrow();
  });
});
