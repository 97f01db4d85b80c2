/**
 * Child processes of a site, tracked by PID: each child leads its own process group (`detached`), so a
 * stop reaches everything it started and a Ctrl-C in the terminal reaches only the orchestrator, which
 * then stops the children in order. Nothing is ever killed by name. A last-resort `exit` hook SIGKILLs
 * what is still running, so a crashing orchestrator leaves no orphans behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ChildOptions {
  /** Short name for messages ("gateway", "vmcu nrf52840-1"). */
  readonly name: string;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Appends stdout and stderr here (the file is created if needed). */
  readonly logFile?: string;
  /** Called with each stdout / stderr line. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

const live = new Set<Child>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) c.signal('SIGKILL');
  });
}

export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #log: WriteStream | undefined;
  #tail: string[] = [];

  constructor(o: ChildOptions) {
    this.name = o.name;
    this.proc = spawn(o.cmd, [...o.args], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      detached: true, // its own process group: signals reach its descendants too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.proc.pid === undefined) throw new Error(`cannot start ${o.name} (${o.cmd})`);
    this.pid = this.proc.pid;
    this.#log = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : undefined;
    const pipe = (stream: NodeJS.ReadableStream | null, which: 'stdout' | 'stderr') => {
      if (!stream) return;
      createInterface({ input: stream }).on('line', (line) => {
        this.#log?.write(`${line}\n`);
        this.#tail.push(line);
        if (this.#tail.length > 50) this.#tail.shift();
        o.onLine?.(line, which);
      });
    };
    pipe(this.proc.stdout, 'stdout');
    pipe(this.proc.stderr, 'stderr');
    live.add(this);
    hookExit();
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
      this.proc.once('error', () => {
        live.delete(this);
        resolve({ code: null, signal: null });
      });
    });
    void this.exited.then(() => this.#log?.end());
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && live.has(this);
  }

  /** The last lines it printed (for error messages). */
  tail(n = 20): string {
    return this.#tail.slice(-n).join('\n');
  }

  /** Sends `sig` to its process group (by PID); ignores a group that is already gone. */
  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.signal('SIGKILL'); // anything left in its group
  }

  /** kill -9, as a crash would. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
  }
}

/** Waits for `probe` to return a value other than undefined/false, polling every `everyMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > end) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
