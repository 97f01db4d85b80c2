/**
 * Test support for running Debian's mosquitto and its command-line clients: every child is spawned through
 * a `Processes` set, bounded by a timeout, and killed by its PID when the test ends.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { mosquittoAcl, mosquittoConf } from './acl.js';

/** Debian installs the broker in /usr/sbin, which a non-root PATH may lack. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const p = join(d, name);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/** Why the mosquitto tests cannot run here, or undefined when they can. */
export function mosquittoMissing(): string | undefined {
  const missing = ['mosquitto', 'mosquitto_passwd', 'mosquitto_pub', 'mosquitto_sub'].filter(
    (b) => findBinary(b) === undefined,
  );
  return missing.length === 0
    ? undefined
    : `needs the Debian packages mosquitto and mosquitto-clients (missing: ${missing.join(', ')})`;
}

/** A free TCP port: mosquitto cannot listen on port 0, so we ask the kernel through a socket of our own. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  srv.listen(0, host);
  await once(srv, 'listening');
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when we killed it at its deadline. */
  timedOut: boolean;
}

export interface Child {
  proc: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the output so far (stdout + stderr) matches; rejects if the process exits first. */
  waitFor(text: string | RegExp | ((output: string) => boolean)): Promise<void>;
  exited: Promise<Exit>;
}

/** The children of one test: spawned with a deadline, all killed by PID in `killAll`. */
export class Processes {
  readonly #live = new Set<ChildProcess>();

  spawn(bin: string, args: string[], timeoutMs: number): Child {
    // On a pipe the clients' stdout is block-buffered: without stdbuf a "Subscribed" line would only
    // show up when mosquitto_sub exits. stdbuf execs the program, so the PID stays the program's.
    const exe = findBinary(bin) ?? bin;
    const stdbuf = findBinary('stdbuf');
    const proc = stdbuf
      ? spawn(stdbuf, ['-oL', '-eL', exe, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#live.add(proc);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const waiters: { match: (s: string) => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
    const check = () => {
      for (const w of [...waiters]) {
        if (w.match(stdout + stderr)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    };
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      check();
    });
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      check();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
    }, timeoutMs);
    const exited = new Promise<Exit>((resolve, reject) => {
      proc.on('error', (e) => {
        clearTimeout(timer);
        this.#live.delete(proc);
        reject(e);
      });
      proc.on('close', (code, signal) => {
        clearTimeout(timer);
        this.#live.delete(proc);
        for (const w of waiters.splice(0))
          w.reject(
            new Error(`${bin} exited (${code ?? signal}) before the awaited output:\n${stdout}${stderr}`),
          );
        resolve({ code, signal, stdout, stderr, timedOut });
      });
    });
    exited.catch(() => {}); // observed by callers; never an unhandled rejection here
    return {
      proc,
      get stdout() {
        return stdout;
      },
      get stderr() {
        return stderr;
      },
      waitFor(text) {
        const match = (s: string) =>
          typeof text === 'string' ? s.includes(text) : typeof text === 'function' ? text(s) : text.test(s);
        if (match(stdout + stderr)) return Promise.resolve();
        if (proc.exitCode !== null || proc.signalCode !== null)
          return Promise.reject(new Error(`${bin} already exited:\n${stdout}${stderr}`));
        return new Promise((resolve, reject) => waiters.push({ match, resolve, reject }));
      },
      exited,
    };
  }

  /** Kill every child still running, by PID, and wait for each to go. */
  async killAll(): Promise<void> {
    const live = [...this.#live];
    for (const p of live) if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
    await Promise.all(
      live.map((p) => (p.exitCode === null && p.signalCode === null ? once(p, 'close') : null)),
    );
  }
}

export interface Mosquitto {
  url: string;
  port: number;
  pid: number;
  /** The broker's log so far. */
  readonly log: string;
  /** Add (or change) a user in the password file and make the running broker reload it. */
  addUser(username: string, password: string): Promise<void>;
}

/** Add or replace a user in a mosquitto password file (hashed by `mosquitto_passwd -b`). */
export function setPassword(file: string, username: string, password: string): void {
  if (!existsSync(file)) writeFileSync(file, '', { mode: 0o600 });
  const r = spawnSync(
    findBinary('mosquitto_passwd') ?? 'mosquitto_passwd',
    ['-b', file, username, password],
    {
      encoding: 'utf8',
      timeout: 5000,
    },
  );
  if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr || r.error?.message}`);
}

/**
 * A private mosquitto on 127.0.0.1 and a free port, configured in `dir` with the TinyFleet ACL and a
 * password file holding `users`. Its process belongs to `procs`.
 */
export async function startMosquitto(
  procs: Processes,
  dir: string,
  users: Record<string, string>,
): Promise<Mosquitto> {
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'tinyfleet.acl');
  const confFile = join(dir, 'mosquitto.conf');
  for (const [u, p] of Object.entries(users)) setPassword(passwordFile, u, p);
  writeFileSync(aclFile, mosquittoAcl());
  const port = await freePort();
  // Started as root, mosquitto would switch to the `mosquitto` user, who cannot read our temp dir.
  const user = process.getuid?.() === 0 ? 'root' : undefined;
  writeFileSync(
    confFile,
    mosquittoConf({ port, host: '127.0.0.1', passwordFile, aclFile, user, logDest: 'stderr' }),
  );
  const child = procs.spawn('mosquitto', ['-c', confFile], 60_000);
  await child.waitFor(/mosquitto version \S+ running/);
  const pid = child.proc.pid;
  if (pid === undefined) throw new Error('mosquitto has no pid');
  let reloads = 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    pid,
    get log() {
      return child.stdout + child.stderr;
    },
    async addUser(username, password) {
      setPassword(passwordFile, username, password);
      reloads++;
      process.kill(pid, 'SIGHUP'); // mosquitto rereads the password and ACL files
      const n = reloads;
      await child.waitFor((s) => (s.match(/Reloading config/g) ?? []).length >= n);
    },
  };
}
