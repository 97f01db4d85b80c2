import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceMessageId, encodeMessage } from '@tinyfleet/protocol/messages';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from './ids.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { Store } from './store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A valid GRAD_UPDATE (PROTOCOL.md §4.4.7): the store decodes `fields` from the bytes it keeps. */
const gradRaw = (step: number) =>
  encodeMessage({
    type: 'GRAD_UPDATE',
    id: deviceMessageId(1, step),
    sessionId: 1,
    step,
    layer: 2,
    kind: 'GRADIENT',
    samplesSeen: 5,
    structures: 8,
    elements: 2,
    indices: Uint16Array.of(0, 3, 4),
    values: Uint8Array.of(1, 2, 3, 4, 5, 6),
    scale: 0.5,
    zeroPoint: 3,
  });

// One contract, run by both implementations: the file database and the in-memory twin.
const kinds = [
  { name: 'file', path: () => join(dir, 'sub', 'cloud.db') },
  { name: 'memory', path: () => ':memory:' },
];

describe.each(kinds)('store contract ($name)', ({ path }) => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(path());
  });
  afterEach(() => store.close());

  it('creates, lists, updates and deletes fleets', () => {
    const a = store.fleets.create({ name: 'a' }, 1000);
    const b = store.fleets.create({ name: 'b', description: 'second' }, 2000);
    expect(store.fleets.get(a.id)?.name).toBe('a');
    expect(store.fleets.update(b.id, { name: 'bb' }, 3000)).toMatchObject({
      name: 'bb',
      description: 'second',
    });
    expect(store.fleets.list({ limit: 10 }).items.map((f) => f.id)).toEqual([a.id, b.id]);
    store.fleets.delete(a.id);
    expect(store.fleets.get(a.id)).toBeUndefined();
  });

  it('pages with a cursor until the last page', () => {
    for (let i = 0; i < 5; i++) store.fleets.create({ name: `f${i}` }, 1000 + i);
    const p1 = store.fleets.list({ limit: 2 });
    const p2 = store.fleets.list({ limit: 2, cursor: p1.nextCursor ?? undefined });
    const p3 = store.fleets.list({ limit: 2, cursor: p2.nextCursor ?? undefined });
    expect([...p1.items, ...p2.items, ...p3.items].map((f) => f.name)).toEqual([
      'f0',
      'f1',
      'f2',
      'f3',
      'f4',
    ]);
    expect(p3.nextCursor).toBeNull();
    expect(() => store.fleets.list({ limit: 2, cursor: 'garbage' })).toThrow(/cursor/);
  });

  it('refuses to delete a fleet that has gateways', () => {
    const f = store.fleets.create({ name: 'f' });
    store.gateways.create({ fleetId: f.id, name: 'g' });
    expect(() => store.fleets.delete(f.id)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('checks gateway passwords against a hash', () => {
    const f = store.fleets.create({ name: 'f' });
    const { gateway, password } = store.gateways.create({ fleetId: f.id, name: 'g' });
    expect(store.gateways.checkPassword(gateway.id, password)).toBe(true);
    expect(store.gateways.checkPassword(gateway.id, `${password}x`)).toBe(false);
    expect(store.gateways.checkPassword('gw_nope', password)).toBe(false);
    expect(() => store.gateways.create({ fleetId: 'flt_nope', name: 'g' })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  it('registers devices from HELLO and patches tags and profile', () => {
    const f = store.fleets.create({ name: 'f' });
    const { gateway } = store.gateways.create({ fleetId: f.id, name: 'g' });
    expect(
      store.devices.upsertFromHello({ gatewayId: gateway.id, deviceId: 'd1', capabilities: { ram: 1 } }),
    ).toBe(true);
    expect(store.devices.upsertFromHello({ gatewayId: 'gw_nope', deviceId: 'd2', capabilities: {} })).toBe(
      false,
    );
    store.devices.patch('d1', { tags: ['lab'], profile: 'm4' });
    store.devices.upsertFromHello({ gatewayId: gateway.id, deviceId: 'd1', capabilities: { ram: 2 } });
    expect(store.devices.get('d1')).toMatchObject({ capabilities: { ram: 2 }, tags: ['lab'], profile: 'm4' });
    expect(store.devices.list({ limit: 10, tag: 'lab' }).items).toHaveLength(1);
    expect(store.devices.list({ limit: 10, tag: 'other' }).items).toHaveLength(0);
  });

  it('claims a message id once, in the transaction of its data', () => {
    const first = store.transaction(() => store.ledger.claim('gw_1/d1', '7', 0x24));
    const again = store.transaction(() => store.ledger.claim('gw_1/d1', '7', 0x24));
    const otherSender = store.ledger.claim('gw_1/d2', '7', 0x24);
    expect([first, again, otherSender]).toEqual([true, false, true]);
    // A failed transaction leaves no ledger row behind.
    expect(() =>
      store.transaction(() => {
        store.ledger.claim('gw_1/d1', '8', 0x24);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.ledger.claim('gw_1/d1', '8', 0x24)).toBe(true);
  });

  it('claims device message ids once each, in any order, across boots and rows of bits', () => {
    const id = (boot: number, counter: number) => Buffer.from(deviceMessageId(boot, counter)).toString('hex');
    // Counters 0-47 share a row of bits, 48 starts the next; a reboot starts again at 0 (PROTOCOL.md §4.1.5).
    const ids = [id(1, 5), id(1, 47), id(1, 48), id(1, 0), id(2, 0), id(1, 4), id(1, 2 ** 32 - 1)];
    for (const i of ids) expect(store.ledger.claim('gw_1/d1', i, 0x25)).toBe(true);
    for (const i of ids) expect(store.ledger.claim('gw_1/d1', i, 0x25)).toBe(false);
    expect(store.ledger.claim('gw_1/d2', id(1, 5), 0x25)).toBe(true); // another sender
    // A failed transaction takes its bit back with it.
    const boom = () => {
      store.ledger.claim('gw_1/d1', id(1, 6), 0x25);
      throw new Error('boom');
    };
    expect(() => store.transaction(boom)).toThrow('boom');
    expect(store.ledger.claim('gw_1/d1', id(1, 6), 0x25)).toBe(true);
    expect(store.ledger.count()).toBe(ids.length + 2);
  });

  it('stores metrics series ordered by step and gradient updates with their raw bytes', () => {
    const base = { sessionId: 's', deviceId: 'd', gatewayId: 'g', tsMs: 1 };
    for (const step of [3, 1, 2]) store.metrics.insert({ ...base, step, values: { loss: step / 10 } });
    const p1 = store.metrics.series({ sessionId: 's', limit: 2 });
    const p2 = store.metrics.series({ sessionId: 's', limit: 2, cursor: p1.nextCursor ?? undefined });
    expect([...p1.items, ...p2.items].map((p) => p.step)).toEqual([1, 2, 3]);
    const raw = gradRaw(1);
    const id = store.gradients.insert({ ...base, msgId: '9', step: 1, layer: 2, updatedCount: 3, raw });
    expect(store.gradients.get(id)).toMatchObject({
      layer: 2,
      updatedCount: 3,
      fields: { kind: 'GRADIENT', samplesSeen: 5, structures: 8, elements: 2, scale: 0.5, zeroPoint: 3 },
    });
    expect(Buffer.from(store.gradients.raw(id) ?? [])).toEqual(Buffer.from(raw));
  });
});

describe('store on a file', () => {
  it('uses WAL and synchronous=FULL', () => {
    const store = Store.open(join(dir, 'a.db'));
    expect(store.pragma('journal_mode')).toBe('wal');
    expect(store.pragma('synchronous')).toBe(2); // FULL
    store.close();
  });

  it('keeps data across close and reopen, and migrates once', () => {
    const file = join(dir, 'a.db');
    const s1 = Store.open(file);
    const f = s1.fleets.create({ name: 'kept' });
    s1.ledger.claim('gw/d', '1', 0x25);
    s1.close();
    const s2 = Store.open(file);
    expect(s2.fleets.get(f.id)?.name).toBe('kept');
    expect(s2.ledger.claim('gw/d', '1', 0x25)).toBe(false);
    s2.close();
    const db = new Database(file);
    expect(db.prepare('SELECT id FROM schema_migrations').all()).toEqual(
      MIGRATIONS.map((m) => ({ id: m.id })),
    );
    expect(migrate(db)).toEqual([]);
    db.close();
  });

  it('keeps ledger entries made before the device-id key order (migration 4) as duplicates', () => {
    const file = join(dir, 'a.db');
    const db = new Database(file);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.id < 4),
    );
    // Device ids, two of which are each other's byte swap (a one-step rename would collide), and a
    // 16-byte id.
    const old = ['0100000001000000', '0000000100000001', '0100000000000001', 'aa'.repeat(16)];
    const put = db.prepare('INSERT INTO ingest_ledger VALUES (?, ?, 37, 0)');
    for (const id of old) put.run('gw/d', id);
    db.close();
    const store = Store.open(file);
    for (const id of old) expect(store.ledger.claim('gw/d', id, 37)).toBe(false);
    expect(store.ledger.count()).toBe(4);
    expect(store.ledger.claim('gw/d', '0100000002000000', 37)).toBe(true);
    store.close();
  });

  it('drops the secondary indexes of gradient updates (migration 5); listing still filters', () => {
    const file = join(dir, 'a.db');
    const db = new Database(file);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.id < 5),
    );
    const later = MIGRATIONS.filter((m) => m.id >= 5).map((m) => m.id);
    const indexes = () =>
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'gradient_updates'")
        .all();
    expect(indexes()).toHaveLength(2);
    expect(migrate(db)).toEqual(later);
    expect(indexes()).toEqual([]);
    db.close();
    const store = Store.open(file);
    const f = store.fleets.create({ name: 'f' });
    const g = store.gateways.create({ fleetId: f.id, name: 'g' }).gateway.id;
    const base = { gatewayId: g, layer: 0, updatedCount: 1, tsMs: 0 };
    for (const [sessionId, deviceId, step] of [
      ['s1', 'a', 1],
      ['s2', 'a', 2],
      ['s1', 'b', 3],
    ] as const) {
      store.gradients.insert({ ...base, sessionId, deviceId, msgId: `${step}`, step, raw: gradRaw(step) });
    }
    const steps = (q: { sessionId?: string; deviceId?: string }) =>
      store.gradients.list({ limit: 10, ...q }).items.map((u) => u.step);
    expect(steps({ sessionId: 's1' })).toEqual([1, 3]);
    expect(steps({ deviceId: 'a' })).toEqual([1, 2]);
    expect(steps({ sessionId: 's1', deviceId: 'b' })).toEqual([3]);
    expect(store.gradients.count('s1')).toBe(2);
    store.close();
  });

  it('refuses a database migrated by newer code', () => {
    const file = join(dir, 'a.db');
    Store.open(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations VALUES (999, ?, 0)').run('future');
    db.close();
    expect(() => Store.open(file)).toThrow(/does not know/);
  });

  it('never writes token or password plaintext to disk', () => {
    const file = join(dir, 'a.db');
    const store = Store.open(file);
    const { secret } = store.tokens.create({ name: 'admin', scope: 'admin' });
    const f = store.fleets.create({ name: 'f' });
    const { password } = store.gateways.create({ fleetId: f.id, name: 'g' });
    expect(store.tokens.verify(secret)?.scope).toBe('admin');
    expect(store.tokens.verify(`${secret}x`)).toBeUndefined();
    store.close();
    const bytes = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`, { flag: 'a+' })]).toString(
      'latin1',
    );
    expect(bytes.includes(secret)).toBe(false);
    expect(bytes.includes(password)).toBe(false);
  });
});

describe('ids', () => {
  it('increase strictly within a process, even in one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => newId('x', 5));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{1,64}$/.test(id))).toBe(true);
  });
});
