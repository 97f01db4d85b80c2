import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceMessageId, encodeMessage, type GradUpdate } from '@tinyfleet/protocol/messages';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from './migrations.js';
import { gradientFields } from './repo/gradients.js';
import { ledgerKey } from './repo/ledger.js';
import { Store } from './store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function gradUpdate(step: number, eps?: number): GradUpdate {
  return {
    type: 'GRAD_UPDATE',
    id: deviceMessageId(3, step),
    sessionId: 1,
    step,
    layer: 1,
    kind: 'DELTA',
    samplesSeen: step * 10,
    structures: 32,
    elements: 4,
    indices: Uint16Array.of(2, 7),
    values: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    scale: 0.015625,
    zeroPoint: 128,
    ...(eps !== undefined && { eps }),
  };
}

describe('migration 6: gradient updates store the message once', () => {
  it('upgrades a database of migration 5 without losing an update, its fields or its dedup', () => {
    const file = join(dir, 'cloud.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    migrate(
      db,
      MIGRATIONS.filter((m) => m.id < 6),
    );
    // Rows as the ingestion of migration 5 wrote them: scalar fields as JSON beside the raw message.
    const put = db.prepare(
      `INSERT INTO gradient_updates (session_id, device_id, gateway_id, msg_id, step, layer, updated_count,
         ts_ms, fields_json, raw) VALUES ('ses_1', 'dev', 'gw_1', ?, ?, 1, 2, 1000, ?, ?)`,
    );
    const old = [gradUpdate(1), gradUpdate(2, 0.25)].map((m) => {
      const fields = gradientFields(m); // what migration 5's ingestion wrote to fields_json
      const raw = encodeMessage(m);
      const msgId = Buffer.from(m.id).toString('hex');
      const id = Number(put.run(msgId, m.step, JSON.stringify(fields), raw).lastInsertRowid);
      db.prepare('INSERT INTO ingest_ledger VALUES (?, ?, 37, 1000)').run('gw_1/dev', ledgerKey(msgId));
      return { id, fields, raw, msgId, step: m.step };
    });
    db.close();

    const store = Store.open(file);
    for (const o of old) {
      expect(store.gradients.get(o.id)).toEqual({
        id: o.id,
        sessionId: 'ses_1',
        deviceId: 'dev',
        gatewayId: 'gw_1',
        msgId: o.msgId,
        step: o.step,
        layer: 1,
        updatedCount: 2,
        tsMs: 1000,
        fields: o.fields,
      });
      expect(Buffer.from(store.gradients.raw(o.id) ?? [])).toEqual(Buffer.from(o.raw));
    }
    expect(store.gradients.list({ limit: 10, sessionId: 'ses_1' }).items.map((u) => u.id)).toEqual(
      old.map((o) => o.id),
    );
    // The ledger still knows them (a resend is a duplicate); new updates follow the old ones.
    expect(store.ledger.claim('gw_1/dev', old[0]?.msgId ?? '', 37)).toBe(false);
    const next = store.gradients.insert({
      sessionId: 'ses_1',
      deviceId: 'dev',
      gatewayId: 'gw_1',
      msgId: 'ff',
      step: 3,
      layer: 1,
      updatedCount: 2,
      tsMs: 2000,
      raw: encodeMessage(gradUpdate(3)),
    });
    expect(next).toBeGreaterThan(old[1]?.id ?? 0);
    expect(store.gradients.count('ses_1')).toBe(3);
    store.close();

    const check = new Database(file, { readonly: true });
    const names = (check.prepare('PRAGMA table_info(gradient_updates)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    expect(names).not.toContain('fields_json');
    expect(names).toContain('raw');
    check.close();
  });

  it('reports a stored update whose bytes are not a GRAD_UPDATE as a corrupt row', () => {
    const store = Store.open(':memory:');
    const id = store.gradients.insert({
      sessionId: 's',
      deviceId: 'd',
      gatewayId: 'g',
      msgId: '1',
      step: 1,
      layer: 0,
      updatedCount: 1,
      tsMs: 0,
      raw: Uint8Array.of(0xa1, 0x61, 0x74, 0x18, 0x25),
    });
    expect(() => store.gradients.get(id)).toThrow(expect.objectContaining({ code: 'CORRUPT_ROW' }));
    store.close();
  });
});

describe('migration 7: the ledger appends its rows, device ids seen as bits', () => {
  it('keeps every ledger row, and every id it held stays a duplicate', () => {
    const file = join(dir, 'cloud.db');
    const db = new Database(file);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.id < 7),
    );
    // Ids as the ledger of migrations 4-6 keyed them: device ids (boot, counter) big-endian, across two
    // rows of bits (counters 47 and 48) and two boots, of two devices; and a 16-byte random id.
    const hexId = (boot: number, counter: number) =>
      Buffer.from(deviceMessageId(boot, counter)).toString('hex');
    const old = [
      ['gw_1/a', hexId(1, 0), 37, 10],
      ['gw_1/a', hexId(1, 47), 37, 11],
      ['gw_1/a', hexId(1, 48), 36, 12],
      ['gw_1/a', hexId(1, 95), 36, 12],
      ['gw_1/a', hexId(2, 5), 37, 13],
      ['gw_1/b', hexId(1, 0), 37, 14],
      ['gw_1/', 'ab'.repeat(16), 33, 15],
    ] as const;
    const put = db.prepare('INSERT INTO ingest_ledger VALUES (?, ?, ?, ?)');
    for (const [sender, id, type, ms] of old) put.run(sender, ledgerKey(id), type, ms);
    db.close();

    const store = Store.open(file);
    for (const [sender, id, type] of old) expect(store.ledger.claim(sender, id, type)).toBe(false);
    expect(store.ledger.count()).toBe(old.length);
    // Neighbours of the old ids are new, once.
    for (const [sender, id] of [
      ['gw_1/a', hexId(1, 1)],
      ['gw_1/a', hexId(1, 49)],
      ['gw_1/a', hexId(1, 94)],
      ['gw_1/a', hexId(3, 0)],
      ['gw_1/b', hexId(2, 0)],
      ['gw_1/c', hexId(1, 0)],
      ['gw_1/', 'cd'.repeat(16)],
      ['gw_2/', 'ab'.repeat(16)],
    ] as const) {
      expect(store.ledger.claim(sender, id, 37)).toBe(true);
      expect(store.ledger.claim(sender, id, 37)).toBe(false);
    }
    expect(store.ledger.count()).toBe(old.length + 8);
    store.close();

    const check = new Database(file, { readonly: true });
    const rows = check
      .prepare('SELECT sender, msg_id, msg_type, received_ms FROM ingest_ledger ORDER BY id LIMIT ?')
      .all(old.length);
    expect(rows).toEqual(
      old.map(([sender, id, type, ms]) => ({
        sender,
        msg_id: ledgerKey(id),
        msg_type: type,
        received_ms: ms,
      })),
    );
    check.close();
  });
});
