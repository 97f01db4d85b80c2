/** In-memory twin of a serial line: two connected ends, optional byte tampering on one direction. */
import { GatewayError } from '../errors.js';
import type { ByteTransport, TransportOpener } from './types.js';

class MemoryEnd implements ByteTransport {
  peer: MemoryEnd | undefined;
  closed = false;
  #data: ((b: Uint8Array) => void) | undefined;
  #close: ((e?: Error) => void) | undefined;
  #pending: Uint8Array[] = [];

  constructor(private readonly tamper?: (b: Uint8Array) => Uint8Array) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new GatewayError('TRANSPORT', 'write on a closed memory transport');
    const p = this.peer;
    if (!p || p.closed) return;
    const copy = this.tamper ? this.tamper(bytes.slice()) : bytes.slice();
    // Asynchronous, like a real line: the reader never runs inside the writer's call.
    setImmediate(() => p.deliver(copy));
  }

  deliver(b: Uint8Array): void {
    if (this.closed) return;
    if (this.#data) this.#data(b);
    else this.#pending.push(b);
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.#data = listener;
    for (const b of this.#pending.splice(0)) listener(b);
  }

  onClose(listener: (error?: Error) => void): void {
    this.#close = listener;
  }

  /** The other end went away (unplug). */
  hangup(): void {
    if (this.closed) return;
    this.closed = true;
    this.#close?.(new GatewayError('TRANSPORT', 'line hung up'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.peer?.hangup());
  }
}

export interface MemoryLine {
  /** The gateway's end. */
  readonly host: ByteTransport & { hangup(): void };
  /** The device's end. */
  readonly device: ByteTransport & { hangup(): void };
}

/** A connected pair. `deviceToHost` may alter the bytes the device sends (noise, garbage). */
export function memoryLine(deviceToHost?: (b: Uint8Array) => Uint8Array): MemoryLine {
  const host = new MemoryEnd();
  const device = new MemoryEnd(deviceToHost);
  host.peer = device;
  device.peer = host;
  return { host, device };
}

/**
 * A set of in-memory ports for tests: `plug(path)` makes a line whose host end the next `open(path)`
 * returns; opening an unplugged path fails like a missing device node.
 */
export class MemoryPorts {
  readonly #lines = new Map<string, MemoryLine>();

  plug(path: string, deviceToHost?: (b: Uint8Array) => Uint8Array): MemoryLine {
    const line = memoryLine(deviceToHost);
    this.#lines.set(path, line);
    return line;
  }

  unplug(path: string): void {
    const line = this.#lines.get(path);
    this.#lines.delete(path);
    line?.device.hangup();
    line?.host.hangup();
  }

  readonly open: TransportOpener = async (path) => {
    const line = this.#lines.get(path);
    if (!line || (line.host as MemoryEnd).closed)
      throw new GatewayError('TRANSPORT', `${path}: no such device`);
    return line.host;
  };
}
