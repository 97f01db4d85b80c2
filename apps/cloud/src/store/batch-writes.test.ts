/**
 * The batched writes of ingestion: `LedgerRepo.batch` answers exactly as `claim` message by message, and
 * `GradientRepo.insertMany` (./bulk.ts) returns the ids of their rows in order.
 */
import { deviceMessageId } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROWS_PER_STATEMENT } from './bulk.js';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

const id = (boot: number, counter: number) => Buffer.from(deviceMessageId(boot, counter)).toString('hex');

describe('LedgerRepo.batch', () => {
  it('gives the answers of claim, within the batch and against what is stored', () => {
    const stored = [id(1, 3), id(1, 50)];
    for (const i of stored) store.ledger.claim('gw/d1', i, 0x25);
    const answers = store.transaction(() => {
      const b = store.ledger.batch();
      const out = [
        b.claim('gw/d1', id(1, 3), 0x25), // stored before: duplicate
        b.claim('gw/d1', id(1, 4), 0x25), // same row of bits, new
        b.claim('gw/d1', id(1, 4), 0x25), // repeated within the batch
        b.claim('gw/d1', id(1, 47), 0x25), // the row's top bit
        b.claim('gw/d1', id(1, 50), 0x25), // stored, next row
        b.claim('gw/d1', id(1, 2 ** 32 - 1), 0x25), // a new row, far away
        b.claim('gw/d2', id(1, 4), 0x25), // another sender
        b.claim('gw/d1', 'ab'.repeat(16), 0x2a), // a random id: through the unique index
        b.claim('gw/d1', 'ab'.repeat(16), 0x2a),
      ];
      b.write();
      return out;
    });
    expect(answers).toEqual([false, true, false, true, false, true, true, true, false]);
    // What the batch wrote is what `claim` sees afterwards, bit for bit.
    for (const [sender, i] of [
      ['gw/d1', id(1, 4)],
      ['gw/d1', id(1, 47)],
      ['gw/d1', id(1, 2 ** 32 - 1)],
      ['gw/d2', id(1, 4)],
    ] as const) {
      expect(store.ledger.claim(sender, i, 0x25)).toBe(false);
    }
    expect(store.ledger.claim('gw/d1', id(1, 5), 0x25)).toBe(true);
    expect(store.ledger.count()).toBe(stored.length + 5 + 1); // 5 new in the batch, then id(1, 5)
  });

  it('writes nothing when its transaction rolls back', () => {
    expect(() =>
      store.transaction(() => {
        const b = store.ledger.batch();
        b.claim('gw/d1', id(1, 9), 0x25);
        b.write();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.ledger.count()).toBe(0);
    expect(store.ledger.claim('gw/d1', id(1, 9), 0x25)).toBe(true);
  });
});

describe('LedgerBatch.claimId', () => {
  it('answers as claim with the id as bytes, and without a ledger row when told not to record', () => {
    const bytes = (boot: number, counter: number) => deviceMessageId(boot, counter);
    store.ledger.claim('gw/d1', id(7, 100), 0x25);
    const answers = store.transaction(() => {
      const b = store.ledger.batch();
      const out = [
        b.claimId('gw/d1', bytes(7, 100), 0x25, 0), // stored by claim: duplicate
        b.claimId('gw/d1', bytes(7, 101), 0x25, 0, false), // new, not recorded
        b.claim('gw/d1', id(7, 101), 0x25), // the same id as hex: duplicate within the batch
        b.claimId('gw/d1', bytes(7, 2 ** 32 - 1), 0x25, 0), // the last counter of a boot
        b.claimId('gw/d1', new Uint8Array(16).fill(0xab), 0x2a, 0), // a random id
        b.claimId('gw/d1', new Uint8Array(16).fill(0xab), 0x2a, 0, false), // recorded all the same
      ];
      b.write();
      return out;
    });
    expect(answers).toEqual([false, true, false, true, true, false]);
    for (const i of [id(7, 100), id(7, 101), id(7, 2 ** 32 - 1), 'ab'.repeat(16)]) {
      expect(store.ledger.claim('gw/d1', i, 0x25)).toBe(false);
    }
    // Rows: the first claim, the recorded device id, the random id; not the unrecorded one.
    expect(store.ledger.count()).toBe(3);
    expect(store.ledger.claim('gw/d1', id(7, 102), 0x25, 0, false)).toBe(true);
    expect(store.ledger.claim('gw/d1', id(7, 102), 0x25)).toBe(false);
    expect(store.ledger.count()).toBe(3);
  });
});

describe('bulk inserts', () => {
  it('returns the ids of the rows in order, across statements', () => {
    const base = { sessionId: 's', deviceId: 'd', gatewayId: 'g', layer: 0, updatedCount: 1, tsMs: 0 };
    const first = store.gradients.insert({ ...base, msgId: '0', step: 0, raw: new Uint8Array([0]) });
    const n = 2 * ROWS_PER_STATEMENT + 3;
    const rows = Array.from({ length: n }, (_, i) => ({
      ...base,
      msgId: `${i + 1}`,
      step: i + 1,
      raw: new Uint8Array([i & 0xff]),
    }));
    const ids = store.transaction(() => store.gradients.insertMany(rows));
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => first + 1 + i));
    for (const [i, rowId] of ids.entries())
      expect(store.gradients.raw(rowId)).toEqual(Buffer.from([i & 0xff]));
  });

  it('inserts nothing for no rows', () => {
    expect(store.gradients.insertMany([])).toEqual([]);
    expect(store.gradients.count()).toBe(0);
  });
});
