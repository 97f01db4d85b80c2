import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, P } from '@tinyfleet/protocol/constants';
import { decodeMessage, encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import { BlockBitmap, blockCount, sliceBlock } from '@tinyfleet/protocol/mqtt';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BrokerFixture, startBrokerFixture } from '../broker/testing.js';
import { newId } from '../store/index.js';
import { OtaService } from './service.js';
import { exampleOpKinds } from './testing.js';

let fx: BrokerFixture;
let ota: OtaService;
let dir: string;
const clients: MqttClient[] = [];

beforeEach(async () => {
  fx = await startBrokerFixture();
  dir = mkdtempSync(join(tmpdir(), 'tf-ota-blocks-'));
  ota = new OtaService({
    store: fx.store,
    bus: fx.bus,
    dataDir: dir,
    send: async () => {},
    publish: (topic, payload, opts) => fx.broker.publish(topic, payload, opts),
  });
  ota.blocks?.attach(fx.bus);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await fx.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(gw: { id: string; password: string }): Promise<{ c: MqttClient; inbox: Message[] }> {
  const c = await mqtt.connectAsync(fx.broker.mqttUrl, {
    clientId: `gw-${gw.id}`,
    username: gw.id,
    password: gw.password,
    clean: false,
    reconnectPeriod: 0,
  });
  clients.push(c);
  const inbox: Message[] = [];
  c.on('message', (_t, p: Buffer) => inbox.push(decodeMessage(p)));
  await c.subscribeAsync(`tf/v1/gw/${gw.id}/down/#`, { qos: 1 });
  return { c, inbox };
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(pred()).toBe(true);
}

describe('block serving over MQTT', () => {
  it('serves an entitled gateway the right bytes and refuses another gateway', async () => {
    const a = fx.gateway('a');
    const b = fx.gateway('b');
    const caps = {
      core: 'host',
      abiVersion: 1,
      slotBytes: 1 << 20,
      ramBytes: 1 << 20,
      opKinds: exampleOpKinds(),
      maxMessageBytes: 8192,
    };
    fx.store.devices.upsertFromHello({ gatewayId: a.id, deviceId: 'dev-a', capabilities: caps });
    // Block serving does not parse the object: a 4.02-block object exercises a short last block.
    const object = new Uint8Array(randomBytes(4 * P.OTA_BLOCK_BYTES + 100));
    const objectId = ota.objects.put(object);
    const model = fx.store.models.insert({
      id: newId('mdl'),
      name: 'big',
      version: 1,
      sha256: 'ab'.repeat(32),
      objectId,
      size: object.length,
      keyId: '00'.repeat(8),
      abiVersion: 1,
      arenaInferBytes: 1024,
      arenaTrainBytes: 0,
      ramBytes: 0,
      training: false,
      opKinds: [],
      cores: [],
    });
    const { campaign } = await ota.create({ name: 'c', modelId: model.id, target: { deviceIds: ['dev-a'] } });
    expect(fx.store.executions.get(campaign.id, 'dev-a')?.state).toBe('offered');

    const n = blockCount(object.length);
    const request = () =>
      encodeMessage({
        type: 'BLOCK_REQUEST',
        id: randomMessageId(),
        objectId,
        size: object.length,
        blockSize: P.OTA_BLOCK_BYTES,
        wanted: BlockBitmap.fromIndices(n, [0, 1, 2, 3, 4]).toBytes(),
      });

    const ga = await connect(a);
    await ga.c.publishAsync(`tf/v1/gw/${a.id}/up/block-req`, Buffer.from(request()), { qos: 1 });
    await until(() => ga.inbox.length === n);
    const blocks = ga.inbox.filter((m) => m.type === 'BLOCK_DATA');
    expect(blocks.map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
    for (const m of blocks) {
      expect(m.total).toBe(n);
      expect(Buffer.from(m.data).equals(Buffer.from(sliceBlock(object, m.index)))).toBe(true);
    }
    const egress = fx.store.campaigns.require(campaign.id).egressBytes;
    expect(egress).toBeGreaterThan(object.length);
    expect(egress).toBeLessThan(object.length * 1.1);

    const req = request();
    const gb = await connect(b);
    await gb.c.publishAsync(`tf/v1/gw/${b.id}/up/block-req`, Buffer.from(req), { qos: 1 });
    await until(() => gb.inbox.length === 1);
    const err = gb.inbox[0];
    expect(err?.type).toBe('ERROR');
    if (err?.type !== 'ERROR') return;
    expect(err.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(Buffer.from(err.re ?? []).equals(Buffer.from(decodeMessage(req).id))).toBe(true);
    expect(fx.store.campaigns.require(campaign.id).egressBytes).toBe(egress);

    // Once the execution is over, the gateway is no longer entitled.
    fx.store.executions.update(
      { campaignId: campaign.id, deviceId: 'dev-a', state: 'succeeded' },
      Date.now(),
    );
    await ga.c.publishAsync(`tf/v1/gw/${a.id}/up/block-req`, Buffer.from(request()), { qos: 1 });
    await until(() => ga.inbox.length === n + 1);
    expect(ga.inbox.at(-1)?.type).toBe('ERROR');
  });
});
