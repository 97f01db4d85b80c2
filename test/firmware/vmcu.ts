/**
 * Harness for tests that talk to a device over a pseudo-terminal: a gateway side built from the
 * TypeScript LinkEndpoint + decodeMessage (PROTOCOL.md §3, §4), bounded waits, and the virtual MCU
 * process (tinyfleet-vmcu) started on a flash file. Every process and descriptor is released by
 * the caller's cleanup list.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { LinkEndpoint, type LinkEvent } from '@tinyfleet/protocol/link';
import { decodeMessage, type Message } from '@tinyfleet/protocol/messages';
import { cmakeBuild, FIRMWARE_DIR } from './toolchain.js';

export const WAIT_MS = 10_000;

/** Resolves with the first defined value of `probe`, polled every 10 ms; rejects after `ms`. */
export function waitFor<T>(
  probe: () => T | undefined,
  ms: number,
  what: string,
  seen: () => string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const v = probe();
      if (v !== undefined) {
        clearInterval(timer);
        resolve(v);
      } else if (Date.now() - started > ms) {
        clearInterval(timer);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; seen:\n${seen()}`));
      }
    }, 10);
  });
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A gateway-side harness: the TypeScript LinkEndpoint over the pty, pumped every 5 ms. */
export class Gateway {
  readonly ep = new LinkEndpoint({ window: 16 });
  readonly events: LinkEvent[] = [];
  readonly messages: Message[] = [];
  readonly undecodable: string[] = [];
  private readonly fd: number;
  private readonly tty: ReadStream;
  private readonly timer: NodeJS.Timeout;

  constructor(path: string) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
    this.tty = new ReadStream(this.fd);
    this.tty.setRawMode(true);
    this.tty.on('data', (d: Buffer) => {
      this.ep.receiveBytes(new Uint8Array(d), Date.now());
      this.drain();
    });
    this.tty.on('error', () => {}); // the device went away (kill -9): the test notices by timeout
    this.timer = setInterval(() => this.pump(), 5);
  }

  private drain(): void {
    for (const e of this.ep.takeEvents()) {
      this.events.push(e);
      if (e.type === 'message') {
        try {
          this.messages.push(decodeMessage(e.data));
        } catch (err) {
          this.undecodable.push(String(err));
        }
      }
    }
  }

  private pump(): void {
    const now = Date.now();
    this.ep.poll(now);
    const out = this.ep.takeOutbox(now);
    try {
      if (out.length > 0) writeSync(this.fd, out);
    } catch {
      // the pty is gone
    }
    this.drain();
  }

  /** Bytes straight onto the line, bypassing the link. */
  raw(bytes: Uint8Array): void {
    writeSync(this.fd, bytes);
  }

  /** The reply to request `id` (a message whose `re` is `id`). */
  reply(id: Uint8Array): (Message & Record<string, unknown>) | undefined {
    return this.messages.find((m) => sameBytes((m as { re?: Uint8Array }).re, id)) as
      | (Message & Record<string, unknown>)
      | undefined;
  }

  summary(): string {
    return JSON.stringify(
      {
        events: this.events.map((e) => e.type),
        messages: this.messages.map((m) => m.type),
        undecodable: this.undecodable,
        stats: this.ep.stats,
      },
      null,
      1,
    );
  }

  close(): void {
    clearInterval(this.timer);
    this.tty.destroy();
    try {
      closeSync(this.fd);
    } catch {
      // closed by the stream
    }
  }
}

export interface Vmcu {
  proc: ChildProcess;
  path: string;
  log: () => string;
}

/** Starts tinyfleet-vmcu with `args` and resolves once it printed its pty path (first stdout line). */
export async function startVmcu(bin: string, args: readonly string[]): Promise<Vmcu> {
  const proc = spawn(bin, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const path = await waitFor(
    () => /^(\/dev\/\S+)$/m.exec(out)?.[1],
    WAIT_MS,
    'the pty path',
    () => out + err,
  );
  return { proc, path, log: () => err };
}

/**
 * Builds the mps2-an386 image with `model` embedded as its initial model (CMake build dir `buildName`),
 * boots it in QEMU with the UART on a pty, and resolves once QEMU printed the pty path. Pushes the
 * kill of QEMU and the removal of its temp dir onto `cleanups`.
 */
export async function startMps2WithModel(
  buildName: string,
  model: Uint8Array,
  cleanups: Array<() => void>,
): Promise<Vmcu> {
  const tmp = mkdtempSync(join(tmpdir(), `tf-${buildName}-`));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const modelFile = join(tmp, 'model.tfm');
  writeFileSync(modelFile, model);
  const dir = cmakeBuild(
    buildName,
    [
      '-DTF_PORT=mps2-an386',
      `-DCMAKE_TOOLCHAIN_FILE=${join(FIRMWARE_DIR, 'cmake', 'arm-none-eabi.cmake')}`,
      '-DCMAKE_BUILD_TYPE=MinSizeRel',
      `-DTF_MODEL_TFM=${modelFile}`,
    ],
    ['all'],
  );
  const elf = join(dir, 'ports', 'mps2-an386', 'tinyfleet-mps2-an386.elf');
  const proc = spawn(
    'qemu-system-arm',
    ['-M', 'mps2-an386', '-display', 'none', '-monitor', 'stdio', '-serial', 'pty', '-kernel', elf],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString('latin1');
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const path = await waitFor(
    () => /char device redirected to (\/dev\/\S+) \(label serial0\)/.exec(out)?.[1],
    WAIT_MS,
    'the QEMU pty path',
    () => out,
  );
  return { proc, path, log: () => out };
}
