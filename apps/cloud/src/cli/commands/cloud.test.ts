/**
 * `tinyfleet cloud start` as a user runs it: the bin in a child process, on free ports and a temp data
 * directory; the token it prints opens the API (a wrong one gets 401), SIGTERM / SIGINT stop it with
 * exit code 0, and a second start on the same directory prints no token while the first one still works.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../main.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'tinyfleet.js');
const WAIT_MS = 60_000; // tsx compiles the sources at start: slow on a loaded machine

let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-cloud-cli-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  out: () => string;
  httpUrl: string;
  exited: Promise<number | null>;
}

/** Starts `tinyfleet cloud start ARGS` and waits for its banner (the data dir line ends it). */
async function start(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'cloud', 'start', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in ${WAIT_MS} ms:\n${out}\n${err}`)), WAIT_MS);
    const check = () => {
      const m = /HTTP API\s+(http:\/\/\S+)/.exec(out);
      if (m?.[1] && /data dir\s+\S+/.test(out)) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before its banner:\n${out}\n${err}`));
    });
  });
  return { child, out: () => out, httpUrl, exited };
}

const status = async (url: string, token?: string) =>
  (
    await fetch(`${url}/v1/fleets?limit=1`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    })
  ).status;

describe('tinyfleet cloud start', () => {
  it('prints a working admin token once, refuses a bad one, and stops cleanly on SIGTERM and SIGINT', async () => {
    const config = join(dir, 'cloud.json');
    writeFileSync(config, JSON.stringify({ dataDir: 'data', mqtt: { port: 0, wsPort: null } }));
    // the config file's keys, and an option overriding the file's default port
    const first = await start(['--config', config, '--http-port', '0']);
    const token = /admin token\s+(\S+)/.exec(first.out())?.[1];
    expect(token).toMatch(/^tft_/);
    expect(first.out()).toContain(`data dir      ${join(dir, 'data')}`);
    expect(first.out()).not.toContain('MQTT over WS');
    expect(await status(first.httpUrl, token)).toBe(200);
    expect(await status(first.httpUrl, `${token}x`)).toBe(401);
    expect(await status(first.httpUrl, 'tft_not-a-token')).toBe(401);
    expect(await status(first.httpUrl)).toBe(401);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.out()).toMatch(/SIGTERM: stopping\nstopped\n$/);
    await expect(fetch(`${first.httpUrl}/v1/fleets`)).rejects.toThrow();

    // Same data directory: no new token is shown; the first one still opens the API.
    const second = await start(['--config', config, '--http-port', '0']);
    expect(second.out()).not.toContain('admin token');
    expect(await status(second.httpUrl, token)).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('--help lists the options and the config file keys; a bad subcommand or config is a usage error', async () => {
    const io = () => {
      const o = { out: '', err: '' };
      return {
        o,
        io: {
          stdout: { write: (s: string) => (o.out += s) },
          stderr: { write: (s: string) => (o.err += s) },
          env: {},
          cwd: dir,
        },
      };
    };
    const help = io();
    expect(await main(['cloud', '--help'], help.io)).toBe(0);
    for (const s of ['--config FILE', '--data-dir DIR', '--http-port N', '--mqtt-port N', '--ws-port N'])
      expect(help.o.out).toContain(s);
    for (const key of ['dataDir', 'httpPort', 'mqtt {mode', 'wsPort', 'publicMqttUrl', 'sseHeartbeatMs'])
      expect(help.o.out).toContain(key);
    expect(help.o.out).toContain('.tinyfleet/cloud');

    const top = io();
    expect(await main(['--help'], top.io)).toBe(0);
    expect(top.o.out).toMatch(/\n {2}cloud +Run the cloud service/);

    const bad = io();
    expect(await main(['cloud', 'begin'], bad.io)).toBe(2);
    expect(bad.o.err).toContain('unknown subcommand "begin"');

    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ httpPrt: 1 }));
    const typo = io();
    expect(await main(['cloud', 'start', '--config', 'typo.json'], typo.io)).toBe(2);
    expect(typo.o.err).toContain('httpPrt');
  });
});
