/**
 * A gateway restart in the middle of an `ota.job` (src/ota/README.md "Flow" item 6): the daemon stops
 * while blocks are going to the device, starts again in the same data directory, and the job resumes
 * from the command ledger and the device's bitmap (§4.6.1 Resume) until the device confirms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockCount } from '@tinyfleet/protocol/mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { memoryLogger } from '../log/index.js';
import { ObjectCache } from '../ota/cache.js';
import { otaCommand, signedArtifact } from '../ota/testing.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { MemoryPorts } from '../transport/index.js';
import { Gateway } from './gateway.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-ota-restart-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('gateway restart mid ota.job', () => {
  it('resumes the job after the restart and writes no block twice', async () => {
    const art = signedArtifact();
    const nb = blockCount(art.bytes.length);
    expect(nb).toBeGreaterThan(4);
    const dataDir = join(dir, 'gw');
    // The object is in the site cache already (no cloud here): the job is only the delivery (§4.6).
    const cache = new ObjectCache(dataDir);
    cache.commit(art.oid, art.bytes);
    cache.close();
    const config = parseConfig({
      gatewayId: 'gw_restart',
      dataDir,
      mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x', reconnect: { baseMs: 1000, maxMs: 1000 } },
      ports: ['/dev/devA'],
      status: null,
    });
    const deps = (ports: MemoryPorts) => ({ open: ports.open, keys: art.keys, log: memoryLogger('warn') });

    let ports = new MemoryPorts();
    let first: Gateway | undefined;
    let stopping: Promise<void> | undefined;
    const dev = new TestDeviceDouble(ports.plug('/dev/devA').device, {
      deviceId: 'devA',
      onOtaBlock: (d) => {
        // The daemon dies (clean stop) after the device has written 3 blocks.
        if (d.ota.blocksWritten === 3 && first && !stopping) stopping = first.stop();
      },
    });
    first = await Gateway.start(config, deps(ports));
    await until(() => first?.devices.get('devA') !== undefined);
    const cmd = otaCommand(art.bytes, ['devA']);
    first.commands.handle(cmd);
    await until(() => stopping !== undefined);
    await stopping;
    const writtenBefore = dev.ota.blocksWritten;
    expect(writtenBefore).toBeGreaterThanOrEqual(3);
    expect(writtenBefore).toBeLessThan(nb);
    expect(dev.ota.state).not.toBe('CONFIRMED');

    // Same data directory, a new line to the same (still running) device.
    ports = new MemoryPorts();
    dev.replug(ports.plug('/dev/devA').device);
    const receivedBefore = dev.received.length;
    const second = await Gateway.start(config, deps(ports));
    try {
      await until(() => dev.ota.state === 'CONFIRMED');
      expect(dev.bootCounter).toBe(1);
      expect(dev.ota.blocksWritten).toBe(nb); // the blocks the device had were not sent again
      expect(dev.ota.received).toHaveLength(1);
      expect(Buffer.from(dev.ota.received[0]!).equals(Buffer.from(art.bytes))).toBe(true);
      // §4.6.1 Resume: the restarted gateway asked the device first, with a re-offer, or with OTA_COMMIT
      // when its job file says the device may be on trial (written once every block was queued).
      const asked = dev.received.slice(receivedBefore).find((m) => m.type.startsWith('OTA_'));
      expect(['OTA_OFFER', 'OTA_COMMIT']).toContain(asked?.type);
      // The job ended: its result is in the outbox for the cloud and nothing is left to resume.
      await until(() => second.ota.pending().length === 0);
      expect(second.outboxDepth).toBeGreaterThan(0);
    } finally {
      await second.stop();
      await dev.close();
    }
  });
});
