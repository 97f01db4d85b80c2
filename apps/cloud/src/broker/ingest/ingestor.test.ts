import { decodeMessage } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveBus, Store } from '../../store/index.js';
import { encode, hello, metrics } from '../testing.js';
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

  it('reports failure (so no PUBACK is sent) when the store cannot commit', async () => {
    store.close();
    expect(await ingestor.accept(gw, up('metrics'), encode(metrics(1, 1)))).toMatchObject({
      status: 'failed',
    });
  });
});
