/**
 * The serialport stack on a REAL pseudo-terminal pair (socat), as the virtual MCU uses it: the gateway's
 * DeviceManager with serialOpener on one end, the TEST DOUBLE device on the other, also over serialport.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceManager } from '../device/index.js';
import { memoryLogger } from '../log/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { serialOpener } from './serial.js';

function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SOCAT = hasSocat();
if (!SOCAT) console.warn('skipping the pty test: install the `socat` package (apt-get install -y socat)');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ptyPair(): Promise<{ a: string; b: string; proc: ChildProcess }> {
  const proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const paths: string[] = [];
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`socat gave no ptys: ${text}`)), 5000);
    proc.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      for (const m of text.matchAll(/PTY is (\S+)/g)) if (m[1] && !paths.includes(m[1])) paths.push(m[1]);
      if (paths.length === 2 && /starting data transfer loop/.test(text)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { a: paths[0]!, b: paths[1]!, proc };
}

describe.skipIf(!SOCAT)('serialport over a pseudo-terminal pair', () => {
  it('links up, registers the device and carries messages both ways', async () => {
    const { a, b, proc } = await ptyPair();
    cleanups.push(() => {
      proc.kill('SIGTERM');
    });
    const open = serialOpener({ baudRate: 921_600 });
    const dev = new TestDeviceDouble(await open(b), { deviceId: 'pty-dev' });
    cleanups.push(() => dev.close());
    const got: string[] = [];
    const mgr = new DeviceManager({
      ports: [a],
      open,
      health: { windowMs: 10_000, maxErrors: 50, helloTimeoutMs: 5000, holdMs: 60_000 },
      reopen: { baseMs: 50, maxMs: 200 },
      scanIntervalMs: 1000,
      names: {},
      log: memoryLogger(),
      events: {
        hello: () => {},
        message: (_e, m) => got.push(m.type),
        detached: () => {},
        changed: () => {},
      },
    });
    cleanups.push(() => mgr.stop());
    mgr.start();
    const end = Date.now() + 10_000;
    while (mgr.get('pty-dev') === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(mgr.get('pty-dev')?.hello.core).toBe('host');
    dev.metrics(3, 1);
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['TRAIN_METRICS']);
    expect(dev.received.some((m) => m.type === 'HELLO_ACK')).toBe(true);
  });
});
