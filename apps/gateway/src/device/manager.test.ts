import type { Hello, Message } from '@tinyfleet/protocol/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { MemoryPorts } from '../transport/index.js';
import type { HealthOptions } from './health.js';
import { type DeviceEntry, DeviceManager } from './manager.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(paths: string[], health: Partial<HealthOptions> = {}) {
  const ports = new MemoryPorts();
  const log = memoryLogger();
  const hellos: Hello[] = [];
  const messages: { dev: string; msg: Message }[] = [];
  const detached: string[] = [];
  const mgr = new DeviceManager({
    ports: paths,
    open: ports.open,
    health: { windowMs: 10_000, maxErrors: 20, helloTimeoutMs: 2000, holdMs: 60_000, ...health },
    reopen: { baseMs: 20, maxMs: 100 },
    scanIntervalMs: 1000,
    names: { d1: 'bench one' },
    log,
    events: {
      hello: (h) => hellos.push(h),
      message: (e: DeviceEntry, msg) => messages.push({ dev: e.deviceId, msg }),
      detached: (e) => detached.push(e.deviceId),
      changed: () => {},
    },
  });
  cleanups.push(() => mgr.stop());
  return { ports, log, hellos, messages, detached, mgr };
}

describe('DeviceManager over the in-memory transport', () => {
  it('registers a device on HELLO, answers HELLO_ACK, and delivers its messages', async () => {
    const { ports, hellos, messages, mgr } = setup(['/dev/mem0']);
    const dev = new TestDeviceDouble(ports.plug('/dev/mem0').device, { deviceId: 'd1' });
    cleanups.push(() => dev.close());
    mgr.start();
    await until(() => mgr.get('d1') !== undefined);
    expect(hellos.map((h) => h.deviceId)).toEqual(['d1']);
    await until(() => dev.received.some((m) => m.type === 'HELLO_ACK'));
    const ack = dev.received.find((m) => m.type === 'HELLO_ACK');
    expect(ack).toMatchObject({ name: 'bench one' });
    dev.metrics(7, 1);
    await until(() => messages.length === 1);
    expect(messages[0]).toMatchObject({ dev: 'd1', msg: { type: 'TRAIN_METRICS', sessionId: 7, step: 1 } });
    expect(mgr.summaries()).toEqual([expect.objectContaining({ deviceId: 'd1', linked: true })]);
  });

  it('reopens with backoff after an unplug and sees the device again (reset: new boot counter)', async () => {
    const { ports, hellos, detached, mgr } = setup(['/dev/mem0']);
    const dev = new TestDeviceDouble(ports.plug('/dev/mem0').device, { deviceId: 'd1' });
    cleanups.push(() => dev.close());
    mgr.start();
    await until(() => mgr.get('d1') !== undefined);
    ports.unplug('/dev/mem0');
    await until(() => detached.includes('d1') && mgr.get('d1') === undefined);
    await new Promise((r) => setTimeout(r, 100)); // a few failed reopen attempts
    dev.reboot(ports.plug('/dev/mem0').device);
    await until(() => hellos.length === 2 && mgr.get('d1') !== undefined);
    expect(hellos.map((h) => h.bootCounter)).toEqual([1, 2]);
    const port = mgr.ports()[0]!;
    expect(port.state).toBe('open');
    expect(port.opens).toBe(2);
  });

  it('quarantines a device that speaks garbage while another keeps working', async () => {
    const { ports, log, mgr, messages } = setup(['/dev/mem0', '/dev/mem1']);
    const good = new TestDeviceDouble(ports.plug('/dev/mem0').device, { deviceId: 'good' });
    cleanups.push(() => good.close());
    // The bad device's bytes are flipped on the way: every frame fails its CRC or COBS.
    const badLine = ports.plug('/dev/mem1', (b) => b.map((x, i) => (x === 0 || i % 3 !== 0 ? x : x ^ 0x5a)));
    const bad = new TestDeviceDouble(badLine.device, { deviceId: 'bad' });
    cleanups.push(() => bad.close());
    // Plus outright noise.
    const noise = setInterval(
      () => void badLine.device.write(new Uint8Array([7, 7, 7, 0, 1, 2, 3, 0])).catch(() => {}),
      5,
    );
    cleanups.push(() => clearInterval(noise));
    mgr.start();
    await until(() => mgr.ports().find((p) => p.path === '/dev/mem1')?.state === 'quarantined');
    const q = log.records.find((r) => r.msg === 'device quarantined');
    expect(q).toMatchObject({ path: '/dev/mem1' });
    expect(String(q?.reason)).toMatch(/errors within/);
    expect(mgr.get('bad')).toBeUndefined();
    await until(() => mgr.get('good') !== undefined);
    good.metrics(1, 1);
    await until(() => messages.some((m) => m.dev === 'good'));
  });

  it('quarantines a silent port that never says HELLO', async () => {
    const { ports, log, mgr } = setup(['/dev/mem0'], { helloTimeoutMs: 200 });
    ports.plug('/dev/mem0'); // nobody on the other end
    mgr.start();
    await until(() => mgr.ports()[0]?.state === 'quarantined');
    expect(log.records.find((r) => r.msg === 'device quarantined')?.reason).toBe('no HELLO within 200 ms');
  });
});
