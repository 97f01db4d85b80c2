/**
 * A fast path for decoding GRAD_UPDATE (PROTOCOL.md §4.4.7), the bulk of the uplink traffic: one pass over
 * the bytes, no intermediate CBOR tree, no text decoding of keys.
 *
 * It accepts only what it can check completely: one CBOR map (§4.1.2) whose keys are envelope keys
 * (§4.1.1) or GRAD_UPDATE keys, each at most once, with values in the forms TinyFleet's encoders write
 * (integers of any width, §4.1.2 item 5; `qs` and `eps` as CBOR float32, §4.1.3; `idx` as tag 69 with a
 * one-byte tag number), within every range of the tables and the rules of §4.4.7 (item 4), filling the
 * input exactly. For anything else, invalid messages included, it returns undefined, and the caller runs
 * the full decoder (`decodeMessage`), which gives the verdict and the error code (§4.1.7). So a message
 * decoded here is the message `decodeMessage` returns for the same bytes (grad-fast.test.ts checks that
 * against the golden vectors and mutated encodings), except that `values` is a view into the input
 * rather than a copy: the input must not change while the message is in use.
 */
import { P } from '@tinyfleet/protocol/constants';
import type { GradUpdate } from '@tinyfleet/protocol/messages';

const GRAD_UPDATE_T = 0x25; // MSG.GRAD_UPDATE
const U32_MAX = 0xffff_ffff;
const LIMIT = Math.min(P.MQTT_MAX_PAYLOAD_BYTES, P.LINK_MAX_MESSAGE_BYTES); // §4.1.6, device hop

// Keys by their UTF-8 bytes packed into a number (length first), to their bit in `seen`.
const KEYS = [
  'v',
  't',
  'id',
  'ts',
  're',
  'sid',
  'step',
  'layer',
  'kind',
  'n',
  'nst',
  'es',
  'idx',
  'q',
  'qs',
  'qz',
  'eps',
];
const pack = (s: string) => [...s].reduce((code, c) => code * 256 + c.charCodeAt(0), s.length);
const KEY_BIT = new Map(KEYS.map((k, i) => [pack(k), 1 << i]));
const bit = (k: string) => KEY_BIT.get(pack(k)) as number;
const REQUIRED = ['v', 't', 'id', 'sid', 'step', 'layer', 'kind', 'n', 'nst', 'es', 'idx', 'q', 'qs', 'qz']
  .map(bit)
  .reduce((a, b) => a | b, 0);

// The input being decoded (module state rather than closures: no allocation per message; not reentrant,
// and nothing here calls out).
let bytes: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(bytes.buffer);
let len = 0;
let pos = 0;

/** The argument of a head of major type `major`, or -1 (other major type, indefinite, reserved, > 2^53-1). */
function arg(major: number): number {
  if (pos >= len) return -1;
  const b = bytes[pos] as number;
  if (b >> 5 !== major) return -1;
  const ai = b & 0x1f;
  pos++;
  if (ai < 24) return ai;
  const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
  if (n === 0 || pos + n > len) return -1;
  let v: number;
  if (n === 1) v = bytes[pos] as number;
  else if (n === 2) v = view.getUint16(pos);
  else if (n === 4) v = view.getUint32(pos);
  else {
    const hi = view.getUint32(pos);
    if (hi > 0x1f_ffff) return -1; // above 2^53-1: the full decoder's business
    v = hi * 2 ** 32 + view.getUint32(pos + 4);
  }
  pos += n;
  return v;
}

function uint(min: number, max: number): number {
  const v = arg(0);
  return v < min || v > max ? -1 : v;
}

/** A byte string: a copy (as the full decoder returns), or with `view` a view into the input. */
function bstr(min: number, max: number, view = false): Uint8Array | undefined {
  const n = arg(2);
  if (n < min || n > max || pos + n > len) return undefined;
  const out = view ? bytes.subarray(pos, pos + n) : new Uint8Array(bytes.subarray(pos, pos + n));
  pos += n;
  return out;
}

function float32(): number {
  if (pos + 5 > len || bytes[pos] !== 0xfa) return Number.NaN;
  const f = view.getFloat32(pos + 1);
  pos += 5;
  return f;
}

/** GRAD_UPDATE decoded in one pass, or undefined when the full decoder must decide (see above). */
export function fastGradUpdate(input: Uint8Array): GradUpdate | undefined {
  if (input.length < 2 || input.length > LIMIT) return undefined;
  bytes = input;
  len = input.length;
  view = new DataView(input.buffer, input.byteOffset, len);
  pos = 0;
  try {
    return decode();
  } finally {
    bytes = new Uint8Array(0); // do not keep the caller's buffer alive
  }
}

function decode(): GradUpdate | undefined {
  const count = arg(5);
  if (count < 0 || count > KEYS.length) return undefined;
  let seen = 0;
  let id: Uint8Array | undefined;
  let re: Uint8Array | undefined;
  let ts = -1;
  let sid = -1;
  let step = -1;
  let layer = -1;
  let kind = -1;
  let n = -1;
  let nst = -1;
  let es = -1;
  let idx: Uint16Array | undefined;
  let q: Uint8Array | undefined;
  let qs = Number.NaN;
  let qz = -1;
  let eps: number | undefined;
  for (let i = 0; i < count; i++) {
    const klen = arg(3);
    if (klen < 1 || klen > 5 || pos + klen > len) return undefined;
    let code = klen;
    for (let j = 0; j < klen; j++) code = code * 256 + (bytes[pos + j] as number);
    pos += klen;
    const b = KEY_BIT.get(code);
    if (b === undefined || seen & b) return undefined; // unknown key (may be skipped, §1.3) or duplicate
    seen |= b;
    switch (KEYS[31 - Math.clz32(b)]) {
      case 'v':
        if (uint(1, 1) < 0) return undefined;
        break;
      case 't':
        if (uint(GRAD_UPDATE_T, GRAD_UPDATE_T) < 0) return undefined;
        break;
      case 'id':
        id = bstr(P.MESSAGE_ID_MIN_BYTES, P.MESSAGE_ID_MAX_BYTES);
        if (!id) return undefined;
        break;
      case 're':
        re = bstr(P.MESSAGE_ID_MIN_BYTES, P.MESSAGE_ID_MAX_BYTES);
        if (!re) return undefined;
        break;
      case 'ts':
        ts = uint(0, Number.MAX_SAFE_INTEGER);
        if (ts < 0) return undefined;
        break;
      case 'sid':
        sid = uint(1, U32_MAX);
        if (sid < 0) return undefined;
        break;
      case 'step':
        step = uint(1, U32_MAX);
        if (step < 0) return undefined;
        break;
      case 'layer':
        layer = uint(0, 0xffff);
        if (layer < 0) return undefined;
        break;
      case 'kind':
        kind = uint(1, 2); // GRAD_KINDS
        if (kind < 0) return undefined;
        break;
      case 'n':
        n = uint(0, U32_MAX);
        if (n < 0) return undefined;
        break;
      case 'nst':
        nst = uint(1, 0xffff);
        if (nst < 0) return undefined;
        break;
      case 'es':
        es = uint(1, P.MESSAGE_MAX_TENSOR_BYTES);
        if (es < 0) return undefined;
        break;
      case 'idx': {
        if (pos + 2 > len || bytes[pos] !== 0xd8 || bytes[pos + 1] !== 69) return undefined; // tag 69
        pos += 2;
        const nb = arg(2);
        if (nb < 2 || nb % 2 !== 0 || nb > 2 * P.MESSAGE_MAX_GRAD_STRUCTURES || pos + nb > len)
          return undefined;
        idx = new Uint16Array(nb / 2);
        for (let j = 0; j < idx.length; j++) idx[j] = view.getUint16(pos + 2 * j, true);
        pos += nb;
        break;
      }
      case 'q':
        q = bstr(1, P.MESSAGE_MAX_TENSOR_BYTES, true); // the bulk of the message: not copied
        if (!q) return undefined;
        break;
      case 'qs':
        qs = float32();
        if (!(Number.isFinite(qs) && qs > 0)) return undefined;
        break;
      case 'qz':
        qz = uint(0, 255);
        if (qz < 0) return undefined;
        break;
      default: {
        // eps: a fraction, [0, 1]
        const f = float32();
        if (!(f >= 0 && f <= 1)) return undefined;
        eps = f;
      }
    }
  }
  if (pos !== len || (seen & REQUIRED) !== REQUIRED || !id || !idx || !q) return undefined;
  // §4.4.7 item 4: idx strictly ascending, each < nst; q holds k * es values.
  const k = idx.length;
  if (k > nst || q.length !== k * es) return undefined;
  for (let j = 0; j < k; j++) {
    const v = idx[j] as number;
    if (v >= nst || (j > 0 && v <= (idx[j - 1] as number))) return undefined;
  }
  return {
    type: 'GRAD_UPDATE',
    id,
    ...(ts >= 0 && { ts }),
    ...(re && { re }),
    sessionId: sid,
    step,
    layer,
    kind: kind === 1 ? 'GRADIENT' : 'DELTA',
    samplesSeen: n,
    structures: nst,
    elements: es,
    indices: idx,
    values: q,
    scale: qs,
    zeroPoint: qz,
    ...(eps !== undefined && { eps }),
  };
}
