import { decodeMessage } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveBus, type LiveEvent, Store } from '../../store/index.js';
import { encode, gradUpdate, hello, metrics } from '../testing.js';
import { Ingestor } from './ingestor.js';

let store: Store;
let ingestor: Ingestor;
let gw: string;
const up = (kind: string, dev = 'd1') => `tf/v1/gw/${gw}/dev/${dev}/up/${kind}`;

beforeEach(() => {
  store = Store.open(':memory:');
  ingestor = new Ingestor({ store, bus: new LiveBus(), decode: (b) => decodeMessage(b) });
  const fleet = store.fleets.create({ name: 'f' });
  gw = store.gateways.create({ fleetId: fleet.id, name: 'g' }).gateway.id;
});
afterEach(() => store.close());

describe('Ingestor', () => {
  it('refuses a message on the wrong topic kind, a foreign gateway topic, and a HELLO under another id', async () => {
    expect(await ingestor.accept(gw, up('metrics'), encode(hello('d1')))).toMatchObject({
      code: 'BAD_FIELD',
    });
    expect(await ingestor.accept('gw_other', up('hello'), encode(hello('d1')))).toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(await ingestor.accept(gw, up('hello', 'd2'), encode(hello('d1')))).toMatchObject({
      code: 'BAD_FIELD',
    });
    expect(await ingestor.accept(gw, `tf/v1/gw/${gw}/down/cmd`, encode(hello('d1')))).toMatchObject({
      status: 'rejected',
    });
    await ingestor.drain();
    expect(store.events.list({ limit: 10, kind: 'ingest.rejected' }).items).toHaveLength(4);
  });

  it('batches concurrent messages into one pass and deduplicates within the batch', async () => {
    const m = encode(metrics(1, 1));
    const outcomes = await Promise.all([
      ingestor.accept(gw, up('hello'), encode(hello('d1'))),
      ingestor.accept(gw, up('metrics'), m),
      ingestor.accept(gw, up('metrics'), m),
      ingestor.accept(gw, up('metrics'), encode(metrics(1, 2))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'duplicate', 'stored']);
  });

  it('drops only the message that fails in a batch: the others are stored and acknowledged', async () => {
    const bus = new LiveBus();
    const live: LiveEvent['type'][] = [];
    bus.subscribe((e) => live.push(e.type));
    ingestor = new Ingestor({ store, bus, decode: (b) => decodeMessage(b) });
    // A gateway unknown to the store passes validation, but adopting its session fails in the transaction.
    const ghost = 'gw_ghost';
    const ghostTopic = `tf/v1/gw/${ghost}/dev/d1/up/metrics`;
    const outcomes = await Promise.all([
      ingestor.accept(gw, up('metrics'), encode(metrics(1, 1))),
      ingestor.accept(ghost, ghostTopic, encode(metrics(1, 2))),
      ingestor.accept(gw, up('metrics'), encode(metrics(1, 3))),
      ingestor.accept(gw, up('metrics'), encode(metrics(1, 1))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'rejected', 'stored', 'duplicate']);
    expect(outcomes[1]).toMatchObject({ code: 'INTERNAL' });
    const session = store.sessions.byWireId(gw, 1);
    expect(session).toBeDefined();
    const points = store.metrics.series({ sessionId: session?.id ?? '', limit: 10 }).items;
    expect(points.map((p) => p.step)).toEqual([1, 3]);
    expect(store.ledger.count()).toBe(2); // the failed message's claim was rolled back with it
    expect(store.events.list({ limit: 10, kind: 'ingest.failed' }).items).toHaveLength(1);
    expect(live).toEqual(['metrics', 'metrics']); // nothing announced for the dropped message
    expect(ingestor.stats).toMatchObject({ stored: 2, duplicate: 1, rejected: 1, failed: 0 });
  });

  it('builds stream events only for listeners that want them; one adopted session per batch', async () => {
    const bus = new LiveBus();
    const blocks: LiveEvent[] = [];
    bus.subscribe((e) => blocks.push(e), ['block-request']); // like the OTA block server
    ingestor = new Ingestor({ store, bus, decode: (b) => decodeMessage(b) });
    const batch = (steps: number[]) =>
      Promise.all(steps.map((s) => ingestor.accept(gw, up('grad'), encode(gradUpdate(7, s)))));
    expect((await batch([1, 2, 3])).map((o) => o.status)).toEqual(['stored', 'stored', 'stored']);
    expect(blocks).toEqual([]); // nothing built nor emitted for a listener of block requests only
    const all: LiveEvent[] = [];
    bus.subscribe((e) => all.push(e));
    await batch([4, 5]);
    expect(all.map((e) => (e.type === 'gradient' ? e.update.step : e.type))).toEqual([4, 5]);
    const sessions = store.sessions.list({ limit: 10 }).items.filter((s) => s.wireId === 7);
    expect(sessions).toHaveLength(1);
    expect(store.gradients.count(sessions[0]?.id)).toBe(5);
    // What the stream announced is what the store returns: `fields` decoded from the message kept once.
    for (const e of all) {
      if (e.type !== 'gradient') continue;
      expect(store.gradients.get(e.update.id)).toEqual(e.update);
      expect(e.update.fields).toMatchObject({ kind: expect.any(String), scale: expect.any(Number) });
    }
  });

  it('announces device presence once per change: HELLO, then GW_STATUS listing the device, then offline', async () => {
    const bus = new LiveBus();
    const presence: string[] = [];
    bus.subscribe((e) => {
      if (e.type === 'presence') presence.push(`${e.deviceId ?? 'gateway'} ${e.online ? 'on' : 'off'}`);
    });
    ingestor = new Ingestor({ store, bus, decode: (b) => decodeMessage(b) });
    const status = (ts: number, online: boolean, linked: boolean) =>
      encode({
        type: 'GW_STATUS',
        id: new Uint8Array(16).fill(ts),
        ts,
        since: 1,
        online,
        gatewayVersion: '0.1.0',
        uptimeMs: 1,
        outbox: 0,
        devices: [{ deviceId: 'd1', linked, lastSeen: ts }],
      });
    const topic = `tf/v1/gw/${gw}/status`;
    await ingestor.accept(gw, topic, status(1, true, false));
    await ingestor.accept(gw, up('hello'), encode(hello('d1')));
    await ingestor.accept(gw, topic, status(2, true, true)); // already online since its HELLO
    await ingestor.accept(gw, topic, status(3, true, true));
    await ingestor.accept(gw, topic, status(4, false, false)); // the gateway's will: its devices go too
    expect(presence).toEqual(['gateway on', 'd1 on', 'gateway off', 'd1 off']);
    const d1 = store.devices.get('d1');
    expect(d1?.online).toBe(false);
    expect(d1?.lastSeenMs).toBeGreaterThan(4); // the HELLO's time: "last seen" never moves back
  });

  it('reports failure (so no PUBACK is sent) when the store cannot commit', async () => {
    store.close();
    expect(await ingestor.accept(gw, up('metrics'), encode(metrics(1, 1)))).toMatchObject({
      status: 'failed',
    });
  });
});
