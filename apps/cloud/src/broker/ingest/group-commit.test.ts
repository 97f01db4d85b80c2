import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../store/index.js';
import { GroupCommit } from './group-commit.js';
import type { IngestOutcome } from './ingestor.js';

/** A sync the test completes by hand. */
function manualSync() {
  const calls: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const sync = () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, sync };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('releases a lazy batch only after a sync started after its commit has completed', async () => {
    const { calls, sync } = manualSync();
    const g = new GroupCommit(sync, undefined, 1);
    const released: string[] = [];
    g.lazy(() => released.push('a'));
    expect(calls).toHaveLength(1); // a sync covering a starts at once
    g.lazy(() => released.push('b')); // committed while that sync runs: not covered by it
    await tick();
    expect(released).toEqual([]);
    calls[0]?.resolve();
    await tick();
    expect(released).toEqual(['a']);
    expect(calls).toHaveLength(2); // the next sync covers b
    calls[1]?.resolve();
    await tick();
    expect(released).toEqual(['a', 'b']);
    expect(g.idle).toBe(true);
  });

  it('with two syncs in flight, a later sync that completes first releases the earlier batches too', async () => {
    const { calls, sync } = manualSync();
    const g = new GroupCommit(sync, undefined, 2);
    const released: string[] = [];
    g.lazy(() => released.push('a'));
    g.lazy(() => released.push('b')); // a second sync starts at once for b
    expect(calls).toHaveLength(2);
    expect(g.syncing).toBe(true); // both slots taken
    g.lazy(() => released.push('c')); // waits for a free slot
    expect(calls).toHaveLength(2);
    calls[1]?.resolve(); // started after a's and b's commits: both durable
    await tick();
    expect(released).toEqual(['a', 'b']);
    expect(calls).toHaveLength(3); // the freed slot syncs c
    calls[0]?.resolve(); // a's own sync: nothing left to release
    await tick();
    expect(released).toEqual(['a', 'b']);
    calls[2]?.resolve();
    await tick();
    expect(released).toEqual(['a', 'b', 'c']);
    expect(g.idle).toBe(true);
  });

  it('acknowledges nothing as stored when the sync fails', async () => {
    const { calls, sync } = manualSync();
    const g = new GroupCommit(sync);
    const outcomes: (IngestOutcome | undefined)[] = [];
    g.lazy((failure) => outcomes.push(failure));
    calls[0]?.reject(new Error('EIO'));
    await tick();
    expect(outcomes).toEqual([{ status: 'failed', reason: 'fsync failed: EIO' }]);
  });

  it('a FULL commit releases itself and every lazy batch committed before it', async () => {
    const { calls, sync } = manualSync();
    const g = new GroupCommit(sync, undefined, 1);
    const released: string[] = [];
    g.lazy(() => released.push('a')); // in the running sync
    g.lazy(() => released.push('b')); // waiting for the next one
    g.durable(() => released.push('full'));
    expect(released).toEqual(['b', 'a', 'full']);
    calls[0]?.resolve();
    await tick();
    expect(released).toEqual(['b', 'a', 'full']); // released once only
  });
});

describe('Store.lazyTransaction and sync', () => {
  it('commits without fsync only for that transaction, and sync resolves on a file store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-group-'));
    const store = Store.open(join(dir, 'c.db'));
    try {
      store.lazyTransaction(() => store.ledger.claim('gw/d', '0100000001000000', 37));
      expect(store.pragma('synchronous')).toBe(2); // FULL again for everything else
      await store.sync();
      expect(store.ledger.claim('gw/d', '0100000001000000', 37)).toBe(false);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
