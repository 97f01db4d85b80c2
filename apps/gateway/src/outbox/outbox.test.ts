import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { CommandLedger, Outbox } from './types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (n: number) => new Uint8Array([n, n + 1, n + 2]);

// One contract, run by every implementation (STYLE.md §4).
describe.each([
  ['memory', (max?: number) => new MemoryStore(max)],
  [
    'sqlite',
    (max?: number) => SqliteStore.open(join(dir, 'gw.db'), max === undefined ? {} : { maxMessages: max }),
  ],
] as const)(
  'outbox contract: %s',
  (_name, make: (max?: number) => Outbox & CommandLedger & { close(): void }) => {
    it('returns entries oldest first, after a cursor, and deletes only on remove', () => {
      const o = make();
      const a = o.enqueue('t/a', bytes(1), { keep: false });
      const b = o.enqueue('t/b', bytes(2), { keep: true });
      expect(o.size).toBe(2);
      expect(o.next(0, 10).map((e) => e.topic)).toEqual(['t/a', 't/b']);
      expect(o.next(a, 10).map((e) => e.seq)).toEqual([b]);
      o.remove(a);
      expect(o.size).toBe(1);
      expect([...o.next(0, 10)[0]!.payload]).toEqual([2, 3, 4]);
      o.close();
    });

    it('when full drops the oldest droppable entry, never a kept one', () => {
      const o = make(100);
      o.enqueue('keep', bytes(0), { keep: true });
      for (let i = 1; i < 100; i++) o.enqueue(`drop${i}`, bytes(i), { keep: false });
      o.enqueue('new', bytes(200), { keep: false });
      const topics = o.next(0, 200).map((e) => e.topic);
      expect(topics).toHaveLength(100);
      expect(topics[0]).toBe('keep');
      expect(topics).not.toContain('drop1');
      expect(topics.at(-1)).toBe('new');
      o.close();
    });

    it('expires entries older than a cutoff', () => {
      const o = make();
      o.enqueue('old', bytes(1), { keep: true }, 1000);
      o.enqueue('new', bytes(2), { keep: true }, 5000);
      expect(o.expire(2000)).toBe(1);
      expect(o.next(0, 10).map((e) => e.topic)).toEqual(['new']);
      o.close();
    });

    it('executes a command id at most once and keeps its results', () => {
      const o = make();
      expect(o.begin('c1', 'cid')).toBe(true);
      expect(o.begin('c1', 'cid')).toBe(false);
      expect(o.get('c1')?.state).toBe('running');
      o.finish('c1', [{ topic: 't/r', payload: bytes(9) }]);
      expect(o.get('c1')?.state).toBe('done');
      expect(o.get('c1')?.results.map((r) => [...r])).toEqual([[9, 10, 11]]);
      expect(o.next(0, 10).map((e) => e.topic)).toEqual(['t/r']);
      o.close();
    });
  },
);

describe('SqliteStore durability', () => {
  it('keeps entries across close and reopen, and deletes only acknowledged ones', () => {
    const file = join(dir, 'gw.db');
    let o = SqliteStore.open(file);
    const seqs = [1, 2, 3].map((i) => o.enqueue(`t/${i}`, bytes(i), { keep: false }));
    o.remove(seqs[1]!);
    o.begin('cmd', 'cid');
    o.close();

    o = SqliteStore.open(file);
    expect(o.size).toBe(2);
    expect(o.next(0, 10).map((e) => e.topic)).toEqual(['t/1', 't/3']);
    expect(o.get('cmd')?.state).toBe('running');
    // New entries never reuse a sequence number (AUTOINCREMENT), so cursors stay valid.
    expect(o.enqueue('t/4', bytes(4), { keep: false })).toBeGreaterThan(seqs[2]!);
    o.close();
  });

  it('publishes a lazily committed entry only once a WAL sync made it durable, in order', async () => {
    const file = join(dir, 'gw.db');
    const o = SqliteStore.open(file);
    const durable = new Promise<void>((resolve) => o.onDurable(resolve));
    const a = o.enqueue('t/lazy', bytes(1), { keep: true, lazy: true });
    // committed (it counts, and it is in the file) but not yet returned for publishing
    expect(o.size).toBe(1);
    expect(o.next(0, 10)).toEqual([]);
    await durable;
    expect(o.next(0, 10).map((e) => e.seq)).toEqual([a]);
    // a FULL commit makes the lazy entries before it durable at once
    const b = o.enqueue('t/lazy2', bytes(2), { keep: true, lazy: true });
    const c = o.enqueue('t/full', bytes(3), { keep: true });
    expect(o.next(a, 10).map((e) => e.seq)).toEqual([b, c]);
    o.remove(a);
    o.close();

    const again = SqliteStore.open(file);
    expect(again.next(0, 10).map((e) => e.topic)).toEqual(['t/lazy2', 't/full']);
    again.close();
  });
});
