/**
 * Harness for tests that talk to a device over a pseudo-terminal: a gateway side built from the
 * TypeScript LinkEndpoint + decodeMessage (PROTOCOL.md §3, §4), bounded waits, and the virtual MCU
 * process (tinyfleet-vmcu) started on a flash file. Every process and descriptor is released by
 * the caller's cleanup list.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { LinkEndpoint, type LinkEvent } from '@tinyfleet/protocol/link';
import { decodeMessage, encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
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
  /** Replaced by `restart()`. */
  ep = new LinkEndpoint({ window: 16 });
  readonly events: LinkEvent[] = [];
  readonly messages: Message[] = [];
  /** The bytes of every message received, decodable or not, in arrival order (all endpoints). */
  readonly rawMessages: Uint8Array[] = [];
  /** While true nothing is written to the line: no ack, no frame (a gateway that hung). */
  muted = false;
  /** While true every byte read from the line is dropped, from the next message event on (a dead gateway). */
  deaf = false;
  /** Called with each decoded message as it is received (before the next transmit opportunity). */
  onMessage: ((m: Message) => void) | undefined;
  readonly undecodable: string[] = [];
  private readonly fd: number;
  private readonly tty: ReadStream;
  private readonly timer: NodeJS.Timeout;

  constructor(path: string) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
    this.tty = new ReadStream(this.fd);
    this.tty.setRawMode(true);
    this.tty.on('data', (d: Buffer) => {
      if (this.deaf) return;
      this.ep.receiveBytes(new Uint8Array(d), Date.now());
      this.drain();
    });
    this.tty.on('error', () => {}); // the device went away (kill -9): the test notices by timeout
    this.timer = setInterval(() => this.pump(), 5);
  }

  private drain(): void {
    for (const e of this.ep.takeEvents()) {
      if (this.deaf) continue;
      this.events.push(e);
      if (e.type === 'message') {
        this.rawMessages.push(e.data);
        try {
          const m = decodeMessage(e.data);
          this.messages.push(m);
          this.onMessage?.(m);
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
      if (out.length > 0 && !this.muted) writeSync(this.fd, out);
    } catch {
      // the pty is gone
    }
    this.drain();
  }

  /**
   * A restarted gateway on the same line: a new LinkEndpoint (new epoch, so its HELLO is a peer reset
   * for the device, PROTOCOL.md §3.6.4), neither muted nor deaf. Messages received so far are kept (the cloud's view).
   */
  restart(): void {
    this.ep = new LinkEndpoint({ window: 16 });
    this.muted = false;
    this.deaf = false;
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
    // The stream owns the descriptor and closes it when its handle closes (later, on the event loop). A
    // closeSync here as well closed it twice: a process spawned in between got that descriptor number for
    // its stdout pipe, which the stream's late close then shut (the next vmcu's pty path never arrived).
    this.tty.destroy();
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
 * A host vmcu (`bin`) on a fresh flash file in a temp dir, booting `model`: `boot()` starts it, or restarts
 * it on the same flash file after it stopped. Pushes the temp dir's removal and every kill onto `cleanups`.
 */
export function hostVmcu(
  bin: string,
  model: Uint8Array,
  cleanups: Array<() => void>,
): { boot: () => Promise<Vmcu> } {
  const tmp = mkdtempSync(join(tmpdir(), 'tf-vmcu-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const modelFile = join(tmp, 'model.tfm');
  writeFileSync(modelFile, model);
  const args = [
    '--flash-file',
    join(tmp, 'flash.bin'),
    '--slot-size',
    '64K',
    '--model',
    modelFile,
    '--quiet',
  ];
  return {
    async boot() {
      const dev = await startVmcu(bin, args);
      cleanups.push(() => {
        if (dev.proc.exitCode === null && dev.proc.signalCode === null) dev.proc.kill('SIGKILL');
      });
      return dev;
    },
  };
}

export type Msg = Message & Record<string, unknown>;

/** Waits for the device's HELLO (after message `after` of `gw`) and answers HELLO_ACK (PROTOCOL.md §4.2.2). */
export async function acceptHello(
  gw: Gateway,
  dev: Vmcu,
  o: { name: string; heartbeatMs: number; after?: number },
): Promise<Msg> {
  const seen = () => `${gw.summary()}\ndevice log:\n${dev.log()}`;
  const hello = await waitFor(
    () => gw.messages.slice(o.after ?? 0).find((m) => m.type === 'HELLO') as Msg | undefined,
    WAIT_MS,
    'HELLO',
    seen,
  );
  gw.ep.send(
    encodeMessage({
      type: 'HELLO_ACK',
      id: randomMessageId(),
      re: hello.id as Uint8Array,
      name: o.name,
      time: Date.now(),
      heartbeatMs: o.heartbeatMs,
    } as Message),
  );
  return hello;
}

/** A device session: a gateway on the pty, HELLO answered, first HEARTBEAT seen. */
export async function linkSession(
  dev: Vmcu,
  cleanups: Array<() => void>,
  o: { name: string; heartbeatMs: number },
): Promise<{ gw: Gateway; hello: Msg; seen: () => string }> {
  const gw = new Gateway(dev.path);
  cleanups.push(() => gw.close());
  const seen = () => `${gw.summary()}\ndevice log:\n${dev.log()}`;
  const hello = await acceptHello(gw, dev, o);
  await waitFor(() => gw.messages.find((m) => m.type === 'HEARTBEAT'), WAIT_MS, 'HEARTBEAT', seen);
  return { gw, hello, seen };
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
