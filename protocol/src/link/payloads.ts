/** Payloads of the control frames: HELLO / HELLO_ACK (PROTOCOL.md §3.6.1), ACK (§3.5.4), ERROR (§3.8). */
import { ErrorCode, type ErrorCodeName, errorCodeName, P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { readU32, writeU32 } from './frame.js';

/** The 16-byte HELLO / HELLO_ACK payload (PROTOCOL.md §3.6.1). */
export interface HelloPayload {
  /** HELLO: highest link version the sender implements; HELLO_ACK: the negotiated version. */
  readonly version: number;
  /** Window in frames, 1..P.LINK_MAX_WINDOW. */
  readonly window: number;
  /** Largest frame payload, P.LINK_MIN_FRAME_PAYLOAD..P.LINK_MAX_FRAME_PAYLOAD. */
  readonly maxFramePayload: number;
  /** Largest reassembled message, P.LINK_MIN_FRAME_PAYLOAD..P.LINK_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes: number;
  /** Sender's session epoch (non-zero nonce, §3.6.3). */
  readonly epoch: number;
  /** HELLO: last epoch known of the receiver, or 0 (informative); HELLO_ACK: the epoch of the HELLO answered. */
  readonly peerEpoch: number;
}

export function encodeHello(h: HelloPayload): Uint8Array {
  const out = new Uint8Array(P.LINK_HELLO_PAYLOAD_BYTES);
  out[0] = h.version;
  out[1] = h.window;
  out[2] = h.maxFramePayload & 0xff;
  out[3] = (h.maxFramePayload >>> 8) & 0xff;
  writeU32(out, 4, h.maxMessageBytes);
  writeU32(out, 8, h.epoch);
  writeU32(out, 12, h.peerEpoch);
  return out;
}

/** Parses the layout only; `checkHello` validates the values. */
export function decodeHello(p: Uint8Array): HelloPayload {
  if (p.length !== P.LINK_HELLO_PAYLOAD_BYTES) {
    throw new ProtocolError(
      'MALFORMED',
      `HELLO payload of ${p.length} bytes, want ${P.LINK_HELLO_PAYLOAD_BYTES}`,
    );
  }
  return {
    version: p[0]!,
    window: p[1]!,
    maxFramePayload: p[2]! | (p[3]! << 8),
    maxMessageBytes: readU32(p, 4),
    epoch: readU32(p, 8),
    peerEpoch: readU32(p, 12),
  };
}

/** PROTOCOL.md §3.6.2: the value checks every HELLO and HELLO_ACK passes; undefined when valid. */
export function checkHello(h: HelloPayload): ProtocolError | undefined {
  if (h.version < 1) return new ProtocolError('UNSUPPORTED_VERSION', `HELLO version ${h.version}`);
  if (h.window < 1 || h.window > P.LINK_MAX_WINDOW) {
    return new ProtocolError('OUT_OF_RANGE', `HELLO window ${h.window} not in 1..${P.LINK_MAX_WINDOW}`);
  }
  if (h.maxFramePayload < P.LINK_MIN_FRAME_PAYLOAD || h.maxFramePayload > P.LINK_MAX_FRAME_PAYLOAD) {
    return new ProtocolError('OUT_OF_RANGE', `HELLO max frame payload ${h.maxFramePayload}`);
  }
  if (h.maxMessageBytes < P.LINK_MIN_FRAME_PAYLOAD || h.maxMessageBytes > P.LINK_MAX_MESSAGE_BYTES) {
    return new ProtocolError('OUT_OF_RANGE', `HELLO max message bytes ${h.maxMessageBytes}`);
  }
  if (h.epoch === 0) return new ProtocolError('BAD_FIELD', 'HELLO epoch 0');
  return undefined;
}

/** ACK payload: u32 little-endian selective-ack bitmap; bit i = frame `ack + 1 + i` held (§3.5.4). */
export function encodeSack(bitmap: number): Uint8Array {
  const out = new Uint8Array(P.LINK_ACK_PAYLOAD_BYTES);
  writeU32(out, 0, bitmap >>> 0);
  return out;
}

export function decodeSack(p: Uint8Array): number {
  if (p.length !== P.LINK_ACK_PAYLOAD_BYTES) {
    throw new ProtocolError(
      'MALFORMED',
      `ACK payload of ${p.length} bytes, want ${P.LINK_ACK_PAYLOAD_BYTES}`,
    );
  }
  return readU32(p, 0);
}

/** ERROR payload (PROTOCOL.md §3.8): u16 code + optional UTF-8 text. */
export interface ErrorPayload {
  readonly code: number;
  /** Symbolic name when the code is in the table. */
  readonly name: ErrorCodeName | undefined;
  readonly text: string;
}

/** Builds an ERROR payload of at most `maxBytes` bytes; the text is cut at a UTF-8 character boundary. */
export function encodeErrorPayload(code: ErrorCodeName | number, text = '', maxBytes = 0xffff): Uint8Array {
  const value = typeof code === 'number' ? code : ErrorCode[code];
  let t = new TextEncoder().encode(text);
  let room = Math.max(0, maxBytes - 2);
  if (t.length > room) {
    while (room > 0 && (t[room]! & 0xc0) === 0x80) room--; // do not split a multi-byte character
    t = t.subarray(0, room);
  }
  const out = new Uint8Array(2 + t.length);
  out[0] = value & 0xff;
  out[1] = (value >>> 8) & 0xff;
  out.set(t, 2);
  return out;
}

/** Invalid UTF-8 in the text is replaced (U+FFFD), never rejected: the code is what matters. */
export function decodeErrorPayload(p: Uint8Array): ErrorPayload {
  if (p.length < 2) throw new ProtocolError('MALFORMED', 'ERROR payload shorter than its code');
  const code = p[0]! | (p[1]! << 8);
  return { code, name: errorCodeName.get(code), text: new TextDecoder().decode(p.subarray(2)) };
}
