/**
 * The real transport: serialport 13 (RESEARCH.md §6: no reconnect after unplug, so the port supervisor
 * reopens). Works on UARTs, USB CDC ports and pseudo-terminals (the virtual MCU).
 */
import { SerialPort } from 'serialport';
import { GatewayError } from '../errors.js';
import type { ByteTransport, TransportOpener } from './types.js';

export interface SerialOptions {
  readonly baudRate: number;
}

class SerialTransport implements ByteTransport {
  #closing = false;
  #closeListener: ((e?: Error) => void) | undefined;
  #closed = false;

  constructor(private readonly port: SerialPort) {
    port.on('close', (err: Error | null) => this.#ended(err ?? undefined));
    port.on('error', (err: Error) => this.#ended(err));
  }

  #ended(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#closing) this.#closeListener?.(err ?? new GatewayError('TRANSPORT', 'port closed'));
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new GatewayError('TRANSPORT', 'write on a closed port'));
        return;
      }
      this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => {
        if (err) reject(new GatewayError('TRANSPORT', `write: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.port.on('data', (b: Buffer) => listener(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  }

  onClose(listener: (error?: Error) => void): void {
    this.#closeListener = listener;
  }

  close(): Promise<void> {
    this.#closing = true;
    if (this.#closed || !this.port.isOpen) {
      this.#closed = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

/** Opens `path` 8N1 at the given rate; rejects with GatewayError TRANSPORT. */
export function serialOpener(o: SerialOptions): TransportOpener {
  return (path) =>
    new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: o.baudRate, autoOpen: false });
      port.open((err) => {
        if (err) reject(new GatewayError('TRANSPORT', `${path}: ${err.message}`, { cause: err }));
        else resolve(new SerialTransport(port));
      });
    });
}
