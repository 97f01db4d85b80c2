/**
 * OTA on the gateway against an in-memory twin of the cloud's block server and TestDeviceDouble devices
 * on in-memory serial lines: one download for many devices, checks before any device byte, corrupted
 * blocks, a device reset mid-transfer, and a gateway restart mid-download.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArtifact } from '@tinyfleet/protocol/artifact';
import { isProtocolError } from '@tinyfleet/protocol/errors';
import { blockCount, objectIdOf } from '@tinyfleet/protocol/mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { ObjectCache } from './cache.js';
import { ObjectFetcher } from './fetcher.js';
import { BlockServerTwin, bigModel, openSite, otaCommand, type Site, signedArtifact } from './testing.js';

let dir: string;
const sites: Site[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-ota-'));
});
afterEach(async () => {
  for (const s of sites.splice(0)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isProtocolError(e) ? e.code : String(e);
  }
}

const otaTraffic = (s: Site) => s.devices.flatMap((d) => d.received.filter((m) => m.type.startsWith('OTA_')));

describe('gateway OTA delivery', () => {
  it('downloads once for two devices, delivers only what is missing, and confirms both', async () => {
    const art = signedArtifact();
    const site = await openSite(dir, art.bytes, art.keys, ['devA', 'devB']);
    sites.push(site);
    const nb = blockCount(art.bytes.length);
    expect(nb).toBeGreaterThan(3);
    const cmd = otaCommand(art.bytes, ['devA', 'devB']);
    const res = await Promise.all(['devA', 'devB'].map((d) => site.svc.execute(cmd, d)));
    expect(res).toEqual([
      expect.objectContaining({ st: 'CONFIRMED', mver: 3 }),
      expect.objectContaining({ st: 'CONFIRMED' }),
    ]);
    // One download for the site (PROTOCOL.md §2.7 step 1): every block served once.
    expect(site.cloud.served).toBe(nb);
    expect(site.cloud.servedBytes).toBeLessThanOrEqual(1.1 * art.bytes.length);
    for (const d of site.devices) {
      expect(d.ota.blocksWritten).toBe(nb);
      expect(d.ota.state).toBe('CONFIRMED');
      expect(Buffer.from(d.ota.received[0]!).equals(Buffer.from(art.bytes))).toBe(true);
    }
    // A second job for the same object comes from the site cache: nothing more is fetched.
    const again = await site.svc.execute(otaCommand(art.bytes, ['devA']), 'devA');
    expect(again).toMatchObject({ st: 'CONFIRMED' });
    expect(site.cloud.served).toBe(nb);
  });

  it('never sends a tampered, unsigned or unknown-key artifact to a device', async () => {
    const art = signedArtifact();
    const tampered = art.bytes.slice();
    tampered[300] = (tampered[300] ?? 0) ^ 0xff; // content changed after signing; its object id is its own
    const unsigned = writeArtifact(bigModel());
    const other = signedArtifact(); // a key this gateway does not trust
    for (const [bytes, want] of [
      [tampered, 'SHA_MISMATCH'],
      [unsigned, 'BAD_SIGNATURE'],
      [other.bytes, 'BAD_SIGNATURE'],
    ] as const) {
      const site = await openSite(join(dir, objectIdOf(bytes).slice(0, 8)), bytes, art.keys, ['devA']);
      sites.push(site);
      expect(await codeOf(site.svc.execute(otaCommand(bytes, ['devA']), 'devA'))).toBe(want);
      expect(otaTraffic(site)).toEqual([]);
    }
  });

  it('rejects a block of the wrong length, and re-downloads once after a corrupted byte (final sha)', async () => {
    const art = signedArtifact();
    const site = await openSite(dir, art.bytes, art.keys, ['devA'], { transfer: { timeoutMs: 100 } });
    sites.push(site);
    let shortened = false;
    let flipped = false;
    site.cloud.tamper = (b) => {
      if (b.index === 1 && !shortened) {
        shortened = true;
        return { ...b, data: b.data.subarray(1) }; // BlockReceiver rejects it: re-requested on timeout
      }
      if (b.index === 2 && !flipped) {
        flipped = true;
        const data = b.data.slice();
        data[5] = (data[5] ?? 0) ^ 1; // caught by the object id check on completion (§2.7 step 7)
        return { ...b, data };
      }
      return b;
    };
    const res = await site.svc.execute(otaCommand(art.bytes, ['devA']), 'devA');
    expect(res).toMatchObject({ st: 'CONFIRMED' });
    expect(site.svc.fetcher.stats).toMatchObject({ rejected: 1, restarts: 1 });
    expect(site.devices[0]!.ota.received).toHaveLength(1);
  });

  it('resumes from the device bitmap after a device reset mid-transfer', async () => {
    const art = signedArtifact();
    let resets = 0;
    const site = await openSite(dir, art.bytes, art.keys, ['devA'], {
      onOtaBlock: (d) => {
        if (d.ota.blocksWritten === 2 && resets++ === 0) setImmediate(() => d.reboot());
      },
    });
    sites.push(site);
    const res = await site.svc.execute(otaCommand(art.bytes, ['devA']), 'devA');
    expect(res).toMatchObject({ st: 'CONFIRMED' });
    const d = site.devices[0]!;
    expect(d.bootCounter).toBe(2);
    // Blocks written before the reset were not written again (§4.6.1 Resume).
    expect(d.ota.blocksWritten).toBe(blockCount(art.bytes.length));
    // After the reset the delivery asked the device what it has: a re-offer, or OTA_COMMIT when the test
    // boot may already have left (§4.6.1 Resume).
    const asks = d.received.filter((m) => m.type === 'OTA_OFFER' || m.type === 'OTA_COMMIT');
    expect(asks.length).toBeGreaterThanOrEqual(2);
  });

  it('a device that fails its smoke test ends the execution with its reason', async () => {
    const art = signedArtifact();
    const site = await openSite(dir, art.bytes, art.keys, ['devA'], { ota: { smokeFails: true } });
    sites.push(site);
    expect(await codeOf(site.svc.execute(otaCommand(art.bytes, ['devA']), 'devA'))).toBe('SMOKE_TEST_FAILED');
    expect(site.devices[0]!.ota.activeSha).toBeUndefined();
  });
});

describe('object fetch across a gateway restart', () => {
  it('keeps stored blocks on disk and requests only the missing ones', async () => {
    const art = signedArtifact();
    const nb = blockCount(art.bytes.length);
    const log = memoryLogger('warn');
    const twin = new BlockServerTwin(art.bytes);
    let cache = new ObjectCache(dir);
    let fetcher = new ObjectFetcher({ cache, channel: twin, log, window: 1 });
    let stored = 0;
    twin.sink = (b) => {
      if (stored >= 2) return; // the gateway dies after two blocks
      stored++;
      fetcher.onBlock({ type: 'BLOCK_DATA', id: new Uint8Array(16), ...b });
    };
    const first = fetcher.fetch(art.oid, art.bytes.length);
    first.catch(() => {});
    while (stored < 2) await new Promise((r) => setTimeout(r, 5));
    fetcher.stop();
    cache.close();
    await new Promise((r) => setImmediate(r)); // answers to the dead gateway are lost

    // Restart: a new cache and fetcher over the same data directory (§2.7 step 8).
    cache = new ObjectCache(dir);
    fetcher = new ObjectFetcher({ cache, channel: twin, log });
    let after = 0;
    twin.sink = (b) => {
      after++;
      fetcher.onBlock({ type: 'BLOCK_DATA', id: new Uint8Array(16), ...b });
    };
    const bytes = await fetcher.fetch(art.oid, art.bytes.length);
    expect(Buffer.from(bytes).equals(Buffer.from(art.bytes))).toBe(true);
    expect(fetcher.stats.resumedBlocks).toBe(2);
    expect(after).toBe(nb - 2);
    expect(cache.has(art.oid)).toBe(true);
  });
});
