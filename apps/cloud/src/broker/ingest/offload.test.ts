import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveBus, type LiveEvent, Store } from '../../store/index.js';
import { encode, gradUpdate, metrics } from '../testing.js';
import { Ingestor } from './ingestor.js';

let dir: string;
let store: Store;
let bus: LiveBus;
let ingestor: Ingestor;
let gw: string;
const up = (kind: string, dev = 'd1') => `tf/v1/gw/${gw}/dev/${dev}/up/${kind}`;
const grad = (step: number) => encode(gradUpdate(1, step));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-offload-'));
  store = Store.open(join(dir, 'cloud.db'));
  const fleet = store.fleets.create({ name: 'f' });
  gw = store.gateways.create({ fleetId: fleet.id, name: 'g' }).gateway.id;
  bus = new LiveBus();
  ingestor = new Ingestor({ store, bus, decode: (b) => decodeMessage(b), offload: true });
  await ingestor.ready();
});
afterEach(async () => {
  await ingestor.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GRAD_UPDATE ingested in the worker thread', () => {
  it('stores each message id once, and answers only once the rows are committed', async () => {
    expect(ingestor.offloading).toBe(true);
    const sends = [1, 2, 3, 2, 4, 1].map((step) =>
      ingestor.accept(gw, up('grad'), grad(step)).then((r) => {
        // Answered after the commit: the main thread's own connection already sees the row.
        if (r.status !== 'failed')
          expect(store.gradients.list({ limit: 10 }).items.map((u) => u.step)).toContain(step);
        return r.status;
      }),
    );
    expect(await Promise.all(sends)).toEqual([
      'stored',
      'stored',
      'stored',
      'duplicate',
      'stored',
      'duplicate',
    ]);
    // A resend in a later batch (the gateway's outbox after a lost PUBACK) is a duplicate as well.
    expect((await ingestor.accept(gw, up('grad'), grad(3))).status).toBe('duplicate');
    expect(store.gradients.count()).toBe(4);
    // A GRAD_UPDATE's own row records it; its id is claimed as a bit, without a ledger row.
    expect(new Set(store.gradients.list({ limit: 10 }).items.map((u) => u.msgId)).size).toBe(4);
    expect(store.ledger.count()).toBe(0);
    expect(ingestor.stats).toMatchObject({ stored: 4, duplicate: 3, rejected: 0, failed: 0 });
    // Other message types stay in this thread, against the same ledger and sessions.
    expect((await ingestor.accept(gw, up('metrics'), encode(metrics(1, 1)))).status).toBe('stored');
    expect(store.sessions.byWireId(gw, 1)).toBeDefined();
    expect(
      store.gradients
        .list({ limit: 10 })
        .items.every((u) => u.sessionId === store.sessions.idByWireId(gw, 1)),
    ).toBe(true);
  });

  it('rejects and logs malformed payloads without disturbing the others in the batch', async () => {
    const garbage = Buffer.from([0xa1, 0x61, 0x74]); // a map whose value is missing
    const metricsOnGrad = encode(metrics(1, 2)); // valid CBOR, wrong type for the topic (§2.1 rule 2)
    const outcomes = await Promise.all([
      ingestor.accept(gw, up('grad'), grad(1)),
      ingestor.accept(gw, up('grad'), garbage),
      ingestor.accept(gw, up('grad'), metricsOnGrad),
      ingestor.accept(gw, up('grad'), grad(2)),
    ]);
    expect(outcomes).toMatchObject([
      { status: 'stored' },
      { status: 'rejected', code: 'TRUNCATED' },
      { status: 'rejected', code: 'BAD_FIELD' },
      { status: 'stored' },
    ]);
    await ingestor.drain();
    expect(store.gradients.count()).toBe(2);
    expect(store.events.list({ limit: 10, kind: 'ingest.rejected' }).items).toHaveLength(2);
  });

  it('sends live gradient events only while someone wants them', async () => {
    const seen: LiveEvent[] = [];
    const off = bus.subscribe((e) => seen.push(e), ['block-request']); // wants no gradients
    await ingestor.accept(gw, up('grad'), grad(1));
    expect(seen).toHaveLength(0);
    const sse = bus.subscribe((e) => seen.push(e));
    await ingestor.accept(gw, up('grad'), grad(2));
    expect(seen.map((e) => e.type)).toEqual(['gradient', 'gradient']); // both listeners got it
    expect(seen[0]).toMatchObject({ update: { step: 2, gatewayId: gw, deviceId: 'd1' } });
    off();
    sse();
  });

  it('answers failed (no PUBACK) when the worker dies before the commit; the resend is stored once', async () => {
    const pending = [1, 2, 3].map((step) => ingestor.accept(gw, up('grad'), grad(step)));
    const killed = ingestor.killWorker(); // before the batch leaves this thread: nothing is committed
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    await killed;
    expect(store.gradients.count()).toBe(0);
    expect(store.ledger.count()).toBe(0);
    expect(ingestor.offloading).toBe(false);
    // The gateway resends from its outbox; ingestion goes on in this thread.
    const again = await Promise.all([1, 2, 3, 3].map((step) => ingestor.accept(gw, up('grad'), grad(step))));
    expect(again.map((r) => r.status)).toEqual(['stored', 'stored', 'stored', 'duplicate']);
    expect(store.gradients.count()).toBe(3);
  });
});
