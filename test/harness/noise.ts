/**
 * Line noise on a serial link: a relay between a virtual MCU's pty and a new pty (made by socat) that
 * the gateway opens instead, flipping one random bit of a byte now and then in both directions. The
 * relay runs in this process; socat is a child tracked by PID (procs.ts). Needs socat (Debian package
 * socat) and stty.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { waitFor } from './procs.js';

export interface NoisyLink {
  /** The pty the gateway opens (a symlink made by socat). */
  readonly path: string;
  /** Bytes corrupted so far, per direction. */
  readonly flipped: { toDevice: number; toGateway: number };
  close(): Promise<void>;
}

/** Why a noisy link cannot be made here, or undefined. */
export function noiseToolMissing(): string | undefined {
  const ok = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0;
  if (!ok('socat')) return 'needs socat (Debian package socat)';
  if (!ok('stty')) return 'needs stty (Debian package coreutils)';
  return undefined;
}

/**
 * Relays between `devicePty` (a vmcu's pty slave) and a new pty at `linkPath`; each byte is corrupted
 * with probability `1 / everyBytes` (a deterministic xorshift from `seed`).
 */
export async function startNoisyLink(o: {
  devicePty: string;
  linkPath: string;
  everyBytes: number;
  seed?: number;
}): Promise<NoisyLink> {
  const stty = spawnSync('stty', ['-F', o.devicePty, 'raw', '-echo'], { encoding: 'utf8' });
  if (stty.status !== 0) throw new Error(`stty on ${o.devicePty} failed: ${stty.stderr}`);
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${o.linkPath}`, 'STDIO'], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = socat.pid;
  if (pid === undefined) throw new Error('cannot start socat');
  const exited = new Promise<void>((r) => socat.once('exit', () => r()));
  const killSocat = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', killSocat);
  let s = (o.seed ?? 0x9e3779b9) >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const flipped = { toDevice: 0, toGateway: 0 };
  const corrupt = (chunk: Buffer, dir: keyof typeof flipped): Buffer => {
    const out = Buffer.from(chunk);
    for (let i = 0; i < out.length; i++) {
      if (rand() * o.everyBytes < 1) {
        out[i] = (out[i] ?? 0) ^ (1 << Math.floor(rand() * 8));
        flipped[dir]++;
      }
    }
    return out;
  };
  // Non-blocking and polled: a blocking read left in the thread pool would steal the device's next
  // bytes from the gateway after close.
  const fd = openSync(o.devicePty, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(4096);
  const pending: Buffer[] = [];
  const pump = () => {
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch {
        break; // EAGAIN: nothing to read now
      }
      if (n <= 0) break;
      socat.stdin?.write(corrupt(buf.subarray(0, n), 'toGateway'));
    }
    while (pending.length > 0) {
      const head = pending[0] as Buffer;
      let n = 0;
      try {
        n = writeSync(fd, head);
      } catch {
        break; // EAGAIN: the pty is full, later
      }
      if (n < head.length) pending[0] = head.subarray(n);
      else pending.shift();
    }
  };
  const timer = setInterval(pump, 1);
  socat.stdout?.on('data', (c: Buffer) => {
    pending.push(corrupt(c, 'toDevice'));
    pump();
  });
  socat.stdin?.on('error', () => {});
  try {
    await waitFor(`socat's pty at ${o.linkPath}`, () => existsSync(o.linkPath), 5000, 20);
  } catch (e) {
    clearInterval(timer);
    closeSync(fd);
    killSocat();
    throw e;
  }
  return {
    path: o.linkPath,
    flipped,
    close: async () => {
      clearInterval(timer);
      closeSync(fd);
      killSocat();
      await exited;
      process.off('exit', killSocat);
    },
  };
}
