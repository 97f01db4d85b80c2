/**
 * Golden vectors of the CBOR message catalog (PROTOCOL.md §4, §7).
 *
 *   cbor/<name>.cbor + cbor/<name>.json          a valid message and its CBOR data model (§7.2 convention)
 *   cbor/invalid/<name>.cbor + .json             bytes every decoder rejects: {"error": NAME, "code": N}
 *   cbor/index.json                              every vector with its message type or expected error
 *
 * Valid vectors come from the examples of `src/messages/examples.ts` (encoded with encodeMessage) and from
 * hand-assembled bytes exercising what decoders must accept but the encoder never writes. The JSON is built
 * from the intended value (the declaration's keys and the TypeScript value), never by decoding the bytes.
 */
import { ErrorCode, MsgType, P } from '../../src/constants/index.js';
import { Float32 } from '../../src/messages/cbor/writer.js';
import { EXAMPLES } from '../../src/messages/examples.js';
import {
  gatewayInvalidVectors,
  handInvalidVectors,
  handValidVectors,
  type InvalidCborVector,
  type ValidCborVector,
} from '../../src/messages/hand-vectors.js';
import { encodeMessage, type Message, messageDef } from '../../src/messages/index.js';
import { binFile, hex, jsonFile, type VectorFile } from './common.js';

function leBytes(a: Uint16Array | Int32Array | Float32Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  a.forEach((x, i) => {
    if (a instanceof Uint16Array) view.setUint16(2 * i, x, true);
    else if (a instanceof Int32Array) view.setInt32(4 * i, x, true);
    else view.setFloat32(4 * i, x, true);
  });
  return out;
}

/** A value as handed to the CBOR writer, in the §7.2 JSON convention. */
function jsonOf(v: unknown): unknown {
  if (v instanceof Float32) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint16Array) return { $tag: 69, value: hex(leBytes(v)) };
  if (v instanceof Int32Array) return { $tag: 78, value: hex(leBytes(v)) };
  if (v instanceof Float32Array) return { $tag: 85, value: hex(leBytes(v)) };
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(jsonOf);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonOf(x)]));
  return v;
}

/** The intended CBOR data model of a message (PROTOCOL.md §4.1.1), from its declaration; no decoding. */
export function wireJson(msg: Message): Record<string, unknown> {
  const def = messageDef(msg.type);
  const out: Record<string, unknown> = { v: P.PROTOCOL_VERSION, t: MsgType[msg.type], id: hex(msg.id) };
  if (msg.ts !== undefined) out.ts = msg.ts;
  if (msg.re !== undefined) out.re = hex(msg.re);
  const body = msg as unknown as Record<string, unknown>;
  for (const [prop, f] of Object.entries(def.fields)) {
    if (body[prop] !== undefined) out[f.key] = jsonOf(f.kind.toWire(body[prop]));
  }
  return out;
}

export type { InvalidCborVector, ValidCborVector };

export function validCborVectors(): ValidCborVector[] {
  const fromExamples = EXAMPLES.map((e) => ({
    name: e.name,
    type: e.message.type,
    bytes: encodeMessage(e.message),
    json: wireJson(e.message),
  }));
  return [...fromExamples, ...handValidVectors()];
}

export function invalidCborVectors(): InvalidCborVector[] {
  return [...handInvalidVectors(), ...gatewayInvalidVectors()];
}

export function generateCborVectors(): VectorFile[] {
  const valid = validCborVectors();
  const invalid = invalidCborVectors();
  const files: VectorFile[] = [];
  for (const x of valid)
    files.push(binFile(`cbor/${x.name}.cbor`, x.bytes), jsonFile(`cbor/${x.name}.json`, x.json));
  for (const x of invalid) {
    files.push(
      binFile(`cbor/invalid/${x.name}.cbor`, x.bytes),
      jsonFile(`cbor/invalid/${x.name}.json`, { error: x.error, code: ErrorCode[x.error] }),
    );
  }
  files.push(
    jsonFile('cbor/index.json', {
      generator: 'protocol/scripts/vectors/cbor.ts',
      spec: 'PROTOCOL.md §4, §7',
      valid: valid.map((x) => ({ name: x.name, type: x.type, t: MsgType[x.type] })),
      invalid: invalid.map((x) => ({ name: x.name, error: x.error, code: ErrorCode[x.error] })),
    }),
  );
  return files;
}
