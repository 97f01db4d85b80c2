/**
 * CBOR writer for messages: cbor-x in its standard-only configuration (PROTOCOL.md §4.1.2).
 *
 * - `useRecords: false`: no record extension tags; maps are plain CBOR maps with text keys.
 * - `variableMapSize: true`: map headers use the shortest length form (preferred serialization).
 * - `tagUint8Array: false`: uint8 data is a plain byte string, never tag 64.
 * - Uint16Array / Int32Array / Float32Array become RFC 8746 tags 69 / 78 / 85 (little-endian host).
 * - Float32 wraps a number that must be written as a CBOR float32 even when integral (§4.1.3).
 * - Integers >= 2^32 are passed as bigint so they are written as uint64, not as float64.
 */
import { addExtension, Encoder } from 'cbor-x';
import { ProtocolError } from '../../errors.js';

/** A number written as CBOR float32 (0xfa), also when integral (PROTOCOL.md §4.1.3). */
export class Float32 {
  readonly value: number;
  constructor(value: number) {
    this.value = Math.fround(value);
  }
}

/** The encoder fields the Float32 extension toggles while it writes one number. */
interface FloatSwitches {
  alwaysUseFloat?: boolean;
  useFloat32?: number;
}

const FLOAT32_ALWAYS = 1; // cbor-x FLOAT32_OPTIONS.ALWAYS

// cbor-x extensions without a tag write their payload inline. The payload is the number itself, encoded
// while the encoder is switched to "every number is a float32"; the value is already exactly a float32
// (Math.fround), so nothing is lost. Registered once per process; it only matches Float32 instances.
addExtension({
  Class: Float32,
  tag: undefined,
  encode(this: FloatSwitches, f: Float32, encode: (v: unknown) => unknown) {
    const saved = { alwaysUseFloat: this.alwaysUseFloat, useFloat32: this.useFloat32 };
    this.alwaysUseFloat = true;
    this.useFloat32 = FLOAT32_ALWAYS;
    try {
      encode(f.value);
    } finally {
      this.alwaysUseFloat = saved.alwaysUseFloat;
      this.useFloat32 = saved.useFloat32;
    }
  },
} as unknown as Parameters<typeof addExtension>[0]);

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // RFC 8746 little-endian tags are only produced on a little-endian host (cbor-x uses native order).
  throw new Error('@tinyfleet/protocol/messages needs a little-endian host');
}

const encoder = new Encoder({
  useRecords: false,
  variableMapSize: true,
  tagUint8Array: false,
  useTag259ForMaps: false,
  largeBigIntToFloat: false,
  bundleStrings: false,
  pack: false,
} as ConstructorParameters<typeof Encoder>[0]);

/**
 * Writes one item. `value` must be built from plain objects (maps), arrays, strings, booleans, null,
 * safe integers (< 2^32) or bigint, Float32, Uint8Array, Uint16Array, Int32Array, Float32Array.
 */
export function writeCbor(value: unknown): Uint8Array {
  try {
    return new Uint8Array(encoder.encode(value));
  } catch (e) {
    throw new ProtocolError(
      'INTERNAL',
      `CBOR encoder failed: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}

/** An integer as cbor-x must see it to write a CBOR integer: numbers >= 2^32 become bigint. */
export function wireInt(n: number): number | bigint {
  return n >= 0x1_0000_0000 || n < -0x1_0000_0000 ? BigInt(n) : n;
}
