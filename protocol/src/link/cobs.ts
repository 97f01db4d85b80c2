/**
 * Consistent Overhead Byte Stuffing (PROTOCOL.md §3.1).
 *
 * The encoded form never contains 0x00, so one 0x00 byte delimits frames on the wire. Encoding is the
 * canonical one of §3.1.2: a block that reaches 254 data bytes at the very end of the input is not
 * followed by an empty block.
 */
import { ProtocolError } from '../errors.js';

/** Upper bound of the encoded length of `n` bytes (one code byte per started 254-byte block). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

/**
 * Encodes `src` into `dst` at `offset`; returns the index one past the last byte written.
 * `dst` needs `cobsMaxEncodedLength(src.length)` bytes from `offset`.
 */
export function cobsEncodeInto(src: Uint8Array, dst: Uint8Array, offset = 0): number {
  const n = src.length;
  let codeAt = offset;
  let w = offset + 1;
  let code = 1;
  for (let i = 0; i < n; i++) {
    const b = src[i]!;
    if (b !== 0) {
      dst[w++] = b;
      code++;
      if (code !== 0xff) continue;
    }
    // PROTOCOL.md §3.1.2: close the block on a zero byte, or when it holds 254 data bytes.
    dst[codeAt] = code;
    if (b === 0 || i + 1 < n) {
      codeAt = w++;
      code = 1;
    } else {
      codeAt = -1; // 254-byte block ends the input: no trailing empty block
    }
  }
  if (codeAt >= 0) dst[codeAt] = code;
  return w;
}

export function cobsEncode(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(src.length));
  return out.subarray(0, cobsEncodeInto(src, out, 0));
}

/**
 * Decodes one COBS-encoded frame (without its delimiter) into `dst`; returns the decoded length.
 * `dst` needs `src.length` bytes. Throws ProtocolError MALFORMED on a 0x00 byte or a block that runs
 * past the end (PROTOCOL.md §3.1.3).
 */
export function cobsDecodeInto(src: Uint8Array, dst: Uint8Array): number {
  const n = src.length;
  const zero = src.indexOf(0);
  if (zero >= 0) throw new ProtocolError('MALFORMED', `COBS: 0x00 inside a frame at offset ${zero}`);
  let r = 0;
  let w = 0;
  while (r < n) {
    const code = src[r]!;
    const end = r + code;
    if (end > n) throw new ProtocolError('MALFORMED', `COBS: block at offset ${r} runs past the end`);
    dst.set(src.subarray(r + 1, end), w);
    w += code - 1;
    r = end;
    if (code !== 0xff && r < n) dst[w++] = 0;
  }
  return w;
}

export function cobsDecode(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  return out.subarray(0, cobsDecodeInto(src, out));
}
