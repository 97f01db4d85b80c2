/**
 * Link frames (PROTOCOL.md §3.1–§3.3): 10-byte little-endian header, payload, CRC-32 trailer, all
 * COBS-encoded and followed by one 0x00 delimiter.
 */
import { FrameFlag, FrameType, frameTypeName, P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { cobsDecodeInto, cobsEncodeInto, cobsMaxEncodedLength } from './cobs.js';
import { crc32 } from './crc.js';

const H = P.LINK_HEADER_BYTES;
const C = P.LINK_CRC_BYTES;
const KNOWN_FLAGS = FrameFlag.ACK_VALID | FrameFlag.MORE;
const EMPTY = new Uint8Array(0);

/** The decoded header (PROTOCOL.md §3.2). */
export interface FrameHeader {
  readonly version: number;
  readonly type: number;
  readonly flags: number;
  /** Byte 3: advertised receive window in frames, valid with ACK_VALID (§3.5.5). */
  readonly rwnd: number;
  readonly seq: number;
  readonly ack: number;
  readonly length: number;
}

export interface Frame {
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
}

/** Header fields to encode; omitted ones are 0, `version` defaults to P.PROTOCOL_VERSION. */
export interface FrameFields {
  readonly type: number;
  readonly flags?: number;
  readonly rwnd?: number;
  readonly seq?: number;
  readonly ack?: number;
  readonly version?: number;
}

/** Largest COBS-encoded frame (without delimiter) for a given payload limit. */
export function maxEncodedFrameBytes(maxPayload: number): number {
  return cobsMaxEncodedLength(H + maxPayload + C);
}

/**
 * header || payload || crc32 (PROTOCOL.md §3.2, §3.3), before COBS. Fields are written as given
 * (masked to their width) so tests and vector generators can build invalid frames with a valid CRC.
 */
export function encodeRawFrame(f: FrameFields, payload: Uint8Array = EMPTY): Uint8Array {
  if (payload.length > 0xffff)
    throw new ProtocolError('TOO_LARGE', `frame payload of ${payload.length} bytes`);
  const raw = new Uint8Array(H + payload.length + C);
  const seq = f.seq ?? 0;
  const ack = f.ack ?? 0;
  raw[0] = f.version ?? P.PROTOCOL_VERSION;
  raw[1] = f.type;
  raw[2] = f.flags ?? 0;
  raw[3] = f.rwnd ?? 0;
  raw[4] = seq & 0xff;
  raw[5] = (seq >>> 8) & 0xff;
  raw[6] = ack & 0xff;
  raw[7] = (ack >>> 8) & 0xff;
  raw[8] = payload.length & 0xff;
  raw[9] = payload.length >>> 8;
  raw.set(payload, H);
  // PROTOCOL.md §3.3: CRC-32 over header and payload, little-endian.
  const crc = crc32(raw.subarray(0, H + payload.length));
  writeU32(raw, H + payload.length, crc);
  return raw;
}

/** Wire bytes of one frame: COBS(header || payload || crc) followed by 0x00 (PROTOCOL.md §3.1). */
export function encodeFrame(
  f: FrameFields,
  payload: Uint8Array = EMPTY,
  leadingDelimiter = false,
): Uint8Array {
  return stuff(encodeRawFrame(f, payload), leadingDelimiter);
}

/** COBS-encodes a raw frame and appends the delimiter; optionally a leading delimiter (§3.7). */
export function stuff(raw: Uint8Array, leadingDelimiter = false): Uint8Array {
  const lead = leadingDelimiter ? 1 : 0;
  const out = new Uint8Array(lead + cobsMaxEncodedLength(raw.length) + 1);
  const end = cobsEncodeInto(raw, out, lead);
  out[end] = 0;
  return out.subarray(0, end + 1);
}

/**
 * First decoding stage (PROTOCOL.md §3.7.2 steps 1–4): COBS, size, CRC. `encoded` is one frame without
 * delimiters. Returns header || payload (CRC removed). Throws MALFORMED (COBS), TRUNCATED, TOO_LARGE
 * or CRC_MISMATCH. `scratch`, if given, receives the decoded bytes (needs `encoded.length` bytes).
 */
export function unframe(
  encoded: Uint8Array,
  maxPayload: number = P.LINK_MAX_FRAME_PAYLOAD,
  scratch?: Uint8Array,
): Uint8Array {
  const buf = scratch ?? new Uint8Array(encoded.length);
  const n = cobsDecodeInto(encoded, buf);
  if (n < H + C) throw new ProtocolError('TRUNCATED', `frame of ${n} bytes is shorter than header and CRC`);
  if (n > H + maxPayload + C) throw new ProtocolError('TOO_LARGE', `frame of ${n} bytes exceeds the limit`);
  const body = n - C;
  const want = readU32(buf, body);
  const got = crc32(buf.subarray(0, body));
  if (want !== got) {
    throw new ProtocolError('CRC_MISMATCH', `CRC 0x${got.toString(16)} != 0x${want.toString(16)}`);
  }
  return buf.subarray(0, body);
}

/**
 * Second decoding stage (PROTOCOL.md §3.7.2 steps 5–12): header and per-type structure of a frame whose
 * CRC is good. `body` is header || payload. The payload is copied. Throws UNSUPPORTED_VERSION,
 * UNKNOWN_TYPE, MALFORMED, BAD_FIELD or OUT_OF_RANGE.
 */
export function parseFrame(body: Uint8Array): Frame {
  if (body.length < H) throw new ProtocolError('TRUNCATED', `frame of ${body.length} bytes has no header`);
  const header: FrameHeader = {
    version: body[0]!,
    type: body[1]!,
    flags: body[2]!,
    rwnd: body[3]!,
    seq: body[4]! | (body[5]! << 8),
    ack: body[6]! | (body[7]! << 8),
    length: body[8]! | (body[9]! << 8),
  };
  const { version, type, flags, rwnd, seq, ack, length } = header;
  if (version !== P.PROTOCOL_VERSION)
    throw new ProtocolError('UNSUPPORTED_VERSION', `link version ${version}`);
  if (!frameTypeName.has(type)) throw new ProtocolError('UNKNOWN_TYPE', `frame type 0x${type.toString(16)}`);
  if (length !== body.length - H) {
    throw new ProtocolError('MALFORMED', `length field ${length} but ${body.length - H} payload bytes`);
  }
  if ((flags & ~KNOWN_FLAGS) !== 0)
    throw new ProtocolError('BAD_FIELD', `reserved flag bits 0x${flags.toString(16)}`);
  if (rwnd > P.LINK_MAX_WINDOW)
    throw new ProtocolError('OUT_OF_RANGE', `rwnd ${rwnd} > ${P.LINK_MAX_WINDOW}`);
  const ackValid = (flags & FrameFlag.ACK_VALID) !== 0;
  if (!ackValid && (ack !== 0 || rwnd !== 0)) {
    throw new ProtocolError('BAD_FIELD', 'ack and rwnd must be 0 without ACK_VALID');
  }
  // PROTOCOL.md §3.2.2: per-type rules.
  switch (type) {
    case FrameType.DATA:
      break;
    case FrameType.ACK:
      if (!ackValid || (flags & FrameFlag.MORE) !== 0 || seq !== 0) {
        throw new ProtocolError('BAD_FIELD', 'ACK needs flags == ACK_VALID and seq 0');
      }
      if (length !== P.LINK_ACK_PAYLOAD_BYTES) {
        throw new ProtocolError(
          'MALFORMED',
          `ACK payload of ${length} bytes, want ${P.LINK_ACK_PAYLOAD_BYTES}`,
        );
      }
      break;
    default: {
      // HELLO, HELLO_ACK, ERROR are unsequenced: flags, seq, ack and rwnd are 0.
      if (flags !== 0 || seq !== 0)
        throw new ProtocolError('BAD_FIELD', 'unsequenced frame with flags or seq');
      const hello = type === FrameType.HELLO || type === FrameType.HELLO_ACK;
      if (hello && length !== P.LINK_HELLO_PAYLOAD_BYTES) {
        throw new ProtocolError(
          'MALFORMED',
          `HELLO payload of ${length} bytes, want ${P.LINK_HELLO_PAYLOAD_BYTES}`,
        );
      }
      if (!hello && length < 2) throw new ProtocolError('MALFORMED', 'ERROR payload shorter than its code');
    }
  }
  return { header, payload: body.slice(H) };
}

/** Decodes one COBS-encoded frame (no delimiters). Throws only ProtocolError (PROTOCOL.md §1.5). */
export function decodeFrame(encoded: Uint8Array, maxPayload: number = P.LINK_MAX_FRAME_PAYLOAD): Frame {
  return parseFrame(unframe(encoded, maxPayload));
}

export function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = (v >>> 24) & 0xff;
}

export function readU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}
