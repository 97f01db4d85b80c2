import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES } from './checkpointer.js';
import { Store } from './store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-ckpt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

/** Write about 1 MB in lazy transactions: under SQLite's own 1000-page checkpoint threshold. */
function write(store: Store): void {
  const raw = new Uint8Array(1000).fill(7);
  for (let b = 0; b < 20; b++) {
    store.lazyTransaction(() => {
      for (let i = 0; i < 50; i++) {
        const step = b * 50 + i;
        store.gradients.insert({
          sessionId: 's',
          deviceId: 'd',
          gatewayId: 'g',
          msgId: `${step}`,
          step,
          layer: 0,
          updatedCount: 1,
          tsMs: 0,
          raw,
        });
      }
    });
  }
}

describe('Store.checkpointInBackground', () => {
  it('copies the log into the database from another thread; the writer only keeps a backstop', async () => {
    const file = join(dir, 'c.db');
    const store = Store.open(file);
    try {
      store.checkpointInBackground();
      await until(() => store.pragma('wal_autocheckpoint') === BACKSTOP_PAGES);
      const before = statSync(file).size;
      write(store);
      expect(statSync(file).size).toBe(before); // nothing checkpointed by the writer itself
      await until(() => statSync(file).size > before + 900_000);
      expect(store.gradients.count()).toBe(1000);
    } finally {
      store.close();
    }
    const again = Store.open(file);
    expect(again.gradients.count()).toBe(1000);
    again.close();
  });

  it('is a no-op for the in-memory twin', () => {
    const store = Store.open(':memory:');
    store.checkpointInBackground();
    expect(store.pragma('wal_autocheckpoint')).toBe(1000);
    store.close();
  });
});
