/**
 * Golden vectors of the serial link layer (PROTOCOL.md §3, §7).
 *
 * `link/<name>.bin` is a byte stream as it appears on the wire, delimiters included. `link/<name>.json`
 * describes the outcome of decoding its last frame (the bytes before its last 0x00) with the rules of
 * §3.7.2: `valid`, the `error` code when invalid, the `header` and `payload` (for an invalid vector:
 * as they were before the damage), and `decoded` fields of HELLO / ACK / ERROR payloads.
 */
import { FrameFlag, FrameType, frameTypeName, P } from '../../src/constants/index.js';
import {
  cobsEncode,
  crc32,
  Deframer,
  decodeErrorPayload,
  decodeHello,
  decodeSack,
  encodeErrorPayload,
  encodeHello,
  encodeRawFrame,
  encodeSack,
  type FrameFields,
  stuff,
} from '../../src/link/index.js';
import { binFile, hex, jsonFile, type VectorFile } from './common.js';

interface Spec {
  readonly name: string;
  readonly description: string;
  readonly fields: FrameFields;
  readonly payload: Uint8Array;
  /** Damages the raw frame (header || payload || crc) before COBS. */
  readonly damageRaw?: (raw: Uint8Array) => void;
  /** Builds the wire bytes from the COBS-encoded frame (no delimiter). */
  readonly wire?: (cobs: Uint8Array) => Uint8Array;
  readonly error?: string;
}

const bytes = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i) & 0xff);
const text = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const data = (flags: number, seq: number, ack: number): FrameFields => ({
  type: FrameType.DATA,
  flags: FrameFlag.ACK_VALID | flags,
  rwnd: 16,
  seq,
  ack,
});
/** Recomputes the CRC after a header edit, so only the header checks can fail. */
const fixCrc = (raw: Uint8Array) => {
  const n = raw.length - P.LINK_CRC_BYTES;
  new DataView(raw.buffer, raw.byteOffset).setUint32(n, crc32(raw.subarray(0, n)), true);
};

/**
 * A 250-byte non-zero payload whose frame CRC has no zero byte: with the zero high byte of `length` just
 * before it, the raw frame's last zero-free run is payload + CRC = 254 bytes (PROTOCOL.md §3.1.2).
 */
function cobsEdgePayload(): Uint8Array {
  for (let k = 0; k < 255; k++) {
    const payload = bytes(250, (i) => ((i * 13 + k) % 255) + 1);
    const raw = encodeRawFrame(data(0, 11, 4), payload);
    if (!raw.subarray(raw.length - P.LINK_CRC_BYTES).includes(0)) return payload;
  }
  throw new Error('no COBS edge payload found');
}

const HELLO = {
  version: 1,
  window: 16,
  maxFramePayload: 256,
  maxMessageBytes: 65536,
  epoch: 0x5eed0001,
  peerEpoch: 0,
};

const SPECS: Spec[] = [
  {
    name: 'data',
    description: 'DATA, ack piggybacked, one whole message',
    fields: data(0, 0x0102, 0x0304),
    payload: text('TinyFleet link layer'),
  },
  {
    name: 'data-empty',
    description: 'DATA with an empty payload (an empty message)',
    fields: data(0, 7, 0),
    payload: new Uint8Array(0),
  },
  {
    name: 'data-zeros',
    description: 'payload of 32 zero bytes: one COBS block each',
    fields: data(0, 8, 1),
    payload: new Uint8Array(32),
  },
  {
    name: 'data-254-nonzero',
    description: 'payload of 254 non-zero bytes (COBS block of 254 data bytes)',
    fields: data(0, 9, 2),
    payload: bytes(254, (i) => i + 1),
  },
  {
    name: 'data-255-nonzero',
    description: 'payload of 255 non-zero bytes (runs past one COBS block)',
    fields: data(0, 10, 3),
    payload: bytes(255, (i) => (i % 255) + 1),
  },
  {
    name: 'data-cobs-edge',
    description:
      'DATA whose last COBS block holds exactly 254 bytes (250 non-zero payload bytes and a CRC without zero bytes): canonical COBS ends with that 0xFF block, no empty block follows',
    fields: data(0, 11, 4),
    payload: cobsEdgePayload(),
  },
  {
    name: 'data-max',
    description: `largest frame: P.LINK_MAX_FRAME_PAYLOAD (${P.LINK_MAX_FRAME_PAYLOAD}) payload bytes`,
    fields: data(0, 0xffff, 0xfffe),
    payload: bytes(P.LINK_MAX_FRAME_PAYLOAD, (i) => i * 7 + 3),
  },
  {
    name: 'data-more',
    description: 'first fragment of a larger message (MORE set)',
    fields: data(FrameFlag.MORE, 0x1000, 0x2000),
    payload: bytes(256, (i) => 255 - i),
  },
  {
    name: 'ack',
    description: 'ACK: cumulative ack 0x1234, frames ack+1, ack+3, ack+4 held (SACK 0x0000000d)',
    fields: { type: FrameType.ACK, flags: FrameFlag.ACK_VALID, rwnd: 16, ack: 0x1234 },
    payload: encodeSack(0x0000000d),
  },
  {
    name: 'hello',
    description: 'HELLO offering window 16, 256-byte frames, 64 KiB messages',
    fields: { type: FrameType.HELLO },
    payload: encodeHello(HELLO),
    wire: (c) => concat([0], c, [0]),
  },
  {
    name: 'hello-ack',
    description: 'HELLO_ACK with the negotiated values, echoing the HELLO epoch',
    fields: { type: FrameType.HELLO_ACK },
    payload: encodeHello({
      ...HELLO,
      window: 8,
      maxMessageBytes: 8192,
      epoch: 0x0badcafe,
      peerEpoch: HELLO.epoch,
    }),
    wire: (c) => concat([0], c, [0]),
  },
  {
    name: 'error',
    description: 'ERROR TOO_LARGE with text',
    fields: { type: FrameType.ERROR },
    payload: encodeErrorPayload('TOO_LARGE', 'message of 70000 bytes > 65536'),
  },
  {
    name: 'bad-crc',
    description: 'DATA whose CRC trailer has one bit flipped',
    fields: data(0, 1, 1),
    payload: text('crc'),
    damageRaw: (r) => {
      r[r.length - 1] = r[r.length - 1]! ^ 0x10;
    },
    error: 'CRC_MISMATCH',
  },
  {
    name: 'bad-header',
    description: 'DATA whose seq byte was changed on the line (CRC no longer matches)',
    fields: data(0, 0x0505, 1),
    payload: text('header'),
    damageRaw: (r) => {
      r[4] = 0x06;
    },
    error: 'CRC_MISMATCH',
  },
  {
    name: 'bad-version',
    description: 'header version 2 with a valid CRC',
    fields: data(0, 2, 2),
    payload: text('v2'),
    damageRaw: (r) => {
      r[0] = 2;
      fixCrc(r);
    },
    error: 'UNSUPPORTED_VERSION',
  },
  {
    name: 'bad-type',
    description: 'unknown frame type 0x7f with a valid CRC',
    fields: { type: 0x7f },
    payload: new Uint8Array(0),
    error: 'UNKNOWN_TYPE',
  },
  {
    name: 'bad-length',
    description: 'length field one more than the payload, valid CRC',
    fields: data(0, 3, 3),
    payload: text('len'),
    damageRaw: (r) => {
      r[8] = r[8]! + 1;
      fixCrc(r);
    },
    error: 'MALFORMED',
  },
  {
    name: 'truncated',
    description:
      'DATA cut after 8 encoded bytes, then the delimiter: 7 bytes decode, fewer than header + CRC',
    fields: data(0, 4, 4),
    payload: bytes(100, (i) => i + 1),
    wire: (c) => concat(c.subarray(0, 8), [0]),
    error: 'TRUNCATED',
  },
  {
    name: 'bad-cobs',
    description:
      'DATA cut 10 bytes before its end, then the delimiter: the last COBS block runs past the end',
    fields: data(0, 5, 5),
    payload: bytes(100, (i) => i + 1),
    wire: (c) => concat(c.subarray(0, c.length - 10), [0]),
    error: 'MALFORMED',
  },
  {
    name: 'noise-then-frame',
    description: 'line noise (with a stray 0x00 and a partial frame), a delimiter, then a valid DATA frame',
    fields: data(0, 0x0042, 0x0041),
    payload: text('after noise'),
    wire: (c) => concat([0xff, 0x13, 0x00, 0x37, 0x99, 0x05, 0x01, 0x01], [0], c, [0]),
  },
];

function decodedPayload(type: number, payload: Uint8Array): unknown {
  if (type === FrameType.HELLO || type === FrameType.HELLO_ACK) {
    const h = decodeHello(payload);
    return {
      version: h.version,
      window: h.window,
      max_frame_payload: h.maxFramePayload,
      max_message_bytes: h.maxMessageBytes,
      epoch: h.epoch,
      peer_epoch: h.peerEpoch,
    };
  }
  if (type === FrameType.ACK) return { sack: decodeSack(payload) };
  if (type === FrameType.ERROR) {
    const { code, name, text } = decodeErrorPayload(payload);
    return { code, name, text };
  }
  return undefined;
}

function build(s: Spec): VectorFile[] {
  const raw = encodeRawFrame(s.fields, s.payload);
  const header = {
    version: raw[0]!,
    type: raw[1]!,
    flags: raw[2]!,
    rwnd: raw[3]!,
    seq: raw[4]! | (raw[5]! << 8),
    ack: raw[6]! | (raw[7]! << 8),
    length: raw[8]! | (raw[9]! << 8),
  };
  s.damageRaw?.(raw);
  const wire = s.wire ? s.wire(cobsEncode(raw)) : stuff(raw);
  // Self-check: the reference decoder must agree with what the vector claims.
  const results = new Deframer().push(wire);
  const last = results.at(-1);
  const got = last?.ok ? 'valid' : last?.failure.code;
  if (got !== (s.error ?? 'valid')) throw new Error(`link vector ${s.name}: decoder says ${got}`);
  const decoded = s.error ? undefined : decodedPayload(header.type, s.payload);
  const json = {
    description: s.description,
    valid: s.error === undefined,
    ...(s.error ? { error: s.error } : {}),
    type_name: frameTypeName.get(header.type) ?? null,
    header,
    payload: hex(s.payload),
    ...(decoded ? { decoded } : {}),
  };
  return [binFile(`link/${s.name}.bin`, wire), jsonFile(`link/${s.name}.json`, json)];
}

export function generateLinkVectors(): VectorFile[] {
  return SPECS.flatMap(build);
}
