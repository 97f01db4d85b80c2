/**
 * Message ids (PROTOCOL.md §4.1.5). A device id is 8 bytes: u32 boot counter LE || u32 message counter LE;
 * a gateway or cloud id is 16 random bytes. Receivers deduplicate by (sender, id).
 */
import { randomFillSync } from 'node:crypto';
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';

export const DEVICE_ID_BYTES = 8;
export const RANDOM_ID_BYTES = 16;

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff)
    throw new ProtocolError('OUT_OF_RANGE', `${what} ${v} is not a u32`);
  return v;
}

/** The id of a device's message: boot counter, then the message counter of this boot, both u32 LE. */
export function deviceMessageId(bootCounter: number, counter: number): Uint8Array {
  const id = new Uint8Array(DEVICE_ID_BYTES);
  const view = new DataView(id.buffer);
  view.setUint32(0, u32(bootCounter, 'boot counter'), true);
  view.setUint32(4, u32(counter, 'message counter'), true);
  return id;
}

/** Boot and message counters of a device-form id, or undefined if `id` is not 8 bytes. */
export function parseDeviceMessageId(id: Uint8Array): { bootCounter: number; counter: number } | undefined {
  if (id.length !== DEVICE_ID_BYTES) return undefined;
  const view = new DataView(id.buffer, id.byteOffset, id.byteLength);
  return { bootCounter: view.getUint32(0, true), counter: view.getUint32(4, true) };
}

/** 16 random bytes: the id of a gateway's or the cloud's message. */
export function randomMessageId(): Uint8Array {
  return randomFillSync(new Uint8Array(RANDOM_ID_BYTES));
}

/** Lowercase hex of an id, for logs and deduplication keys. */
export function messageIdHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** True when `id` has a valid id length (P.MESSAGE_ID_MIN_BYTES..P.MESSAGE_ID_MAX_BYTES). */
export function isMessageId(id: Uint8Array): boolean {
  return id.length >= P.MESSAGE_ID_MIN_BYTES && id.length <= P.MESSAGE_ID_MAX_BYTES;
}

/**
 * Successive ids of one device boot (what the firmware does, for the virtual MCU and tests).
 * The counter starts at `first` and must not wrap within a boot.
 */
export class DeviceIdSequence {
  #next: number;
  constructor(
    readonly bootCounter: number,
    first = 0,
  ) {
    u32(bootCounter, 'boot counter');
    this.#next = u32(first, 'message counter');
  }

  next(): Uint8Array {
    const id = deviceMessageId(this.bootCounter, this.#next);
    this.#next++;
    return id;
  }
}
