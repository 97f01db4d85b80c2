/**
 * encodeMessage / decodeMessage: the envelope of PROTOCOL.md §4.1.1 around the bodies of §4.2–§4.8.
 * Decoding validates everything and throws only ProtocolError (§1.5, §4.1.7).
 */
import { MsgType, type MsgTypeName, P } from '../constants/index.js';
import { ProtocolError, wrapErrors } from '../errors.js';
import { DEF_BY_CODE, DEF_BY_NAME, type Message } from './catalog.js';
import { readCbor } from './cbor/reader.js';
import { wireInt, writeCbor } from './cbor/writer.js';
import { type Envelope, type MessageDef, messageId, millis } from './define.js';
import { badField, decodeFields, encodeFields, fieldsMaxBytes, headBytes } from './fields.js';

/** Keys of the envelope (PROTOCOL.md §4.1.1); no body field uses them. */
export const ENVELOPE_KEYS = ['v', 't', 'id', 'ts', 're'] as const;

export interface CodecOptions {
  /**
   * Largest accepted encoding in bytes, e.g. the link limit negotiated with a device (§3.4). Default:
   * P.LINK_MAX_MESSAGE_BYTES for device-hop types, P.MQTT_MAX_PAYLOAD_BYTES for gateway-level types.
   */
  readonly maxBytes?: number;
}

const ID = messageId();
const TS = millis();

/** The declaration of a message type; throws UNKNOWN_TYPE for a name outside the catalog. */
export function messageDef(type: MsgTypeName): MessageDef {
  const def = DEF_BY_NAME.get(type);
  if (!def) throw new ProtocolError('UNKNOWN_TYPE', `no message type ${String(type)} (§4)`);
  return def;
}

/** Default size limit of a type (PROTOCOL.md §4.1.6). */
export function defaultMaxBytes(def: MessageDef): number {
  return def.hop === 'device' ? P.LINK_MAX_MESSAGE_BYTES : P.MQTT_MAX_PAYLOAD_BYTES;
}

/**
 * Upper bound of the encoding of any valid message of this type made by this encoder, capped at the
 * type's default limit (§4.1.6). Firmware sizes its buffers with it.
 */
export function maxEncodedSize(def: MessageDef): number {
  // v: 1 byte key + 1, t, id, ts, re: key and largest value each.
  const envelope = 3 + (2 + headBytes(def.code)) + (3 + ID.maxBytes) + (3 + TS.maxBytes) + (3 + ID.maxBytes);
  return Math.min(fieldsMaxBytes(def.fields, ENVELOPE_KEYS.length) + envelope, defaultMaxBytes(def));
}

function isUint(v: unknown): v is number | bigint {
  return (typeof v === 'number' || typeof v === 'bigint') && v >= 0;
}

function tooLarge(n: number, max: number): ProtocolError {
  return new ProtocolError('TOO_LARGE', `message of ${n} bytes exceeds ${max} (§4.1.6)`);
}

/**
 * Decodes one message (PROTOCOL.md §4.1). Throws ProtocolError: TOO_LARGE, TRUNCATED, MALFORMED,
 * UNSUPPORTED_VERSION, UNKNOWN_TYPE, BAD_FIELD or OUT_OF_RANGE (§4.1.7); never anything else.
 */
export function decodeMessage(bytes: Uint8Array, opts: CodecOptions = {}): Message {
  return wrapErrors('MALFORMED', 'decodeMessage', () => {
    if (!(bytes instanceof Uint8Array)) throw badField('message', 'input is not a Uint8Array');
    const limit = opts.maxBytes ?? P.MQTT_MAX_PAYLOAD_BYTES;
    if (bytes.length > limit) throw tooLarge(bytes.length, limit);
    const root = readCbor(bytes);
    if (!(root instanceof Map)) throw new ProtocolError('MALFORMED', 'a message is a CBOR map (§4.1.1)');
    // PROTOCOL.md §1.3: the version first, so a future version is reported as such.
    const v = root.get('v');
    if (v === undefined) throw badField('v', 'required field is missing');
    if (!isUint(v)) throw badField('v', 'expected uint');
    if (v !== P.PROTOCOL_VERSION)
      throw new ProtocolError('UNSUPPORTED_VERSION', `protocol version ${v} (§1.3)`);
    const t = root.get('t');
    if (t === undefined) throw badField('t', 'required field is missing');
    if (!isUint(t)) throw badField('t', 'expected uint');
    const def = typeof t === 'number' ? DEF_BY_CODE.get(t) : undefined;
    if (!def) throw new ProtocolError('UNKNOWN_TYPE', `message type ${t} (§4)`);
    const at = def.type;
    if (opts.maxBytes === undefined && bytes.length > defaultMaxBytes(def)) {
      throw tooLarge(bytes.length, defaultMaxBytes(def));
    }
    const rawId = root.get('id');
    if (rawId === undefined) throw badField(`${at}.id`, 'required field is missing');
    const env: { id: Uint8Array; ts?: number; re?: Uint8Array } = { id: ID.decode(rawId, `${at}.id`) };
    const ts = root.get('ts');
    if (ts !== undefined) env.ts = TS.decode(ts, `${at}.ts`);
    else if (def.ts === 'required') throw badField(`${at}.ts`, 'required field is missing');
    const re = root.get('re');
    if (re !== undefined) env.re = ID.decode(re, `${at}.re`);
    else if (def.re === 'required') throw badField(`${at}.re`, 'required field is missing');
    const body = decodeFields(root, def.fields, at);
    const msg = { type: def.type, ...env, ...body };
    def.check?.(msg as never, at);
    return msg as unknown as Message;
  });
}

/**
 * Encodes one message (PROTOCOL.md §4.1): envelope keys first, then the body in declaration order.
 * The result is decoded again before it is returned, so encodeMessage never emits what decodeMessage
 * would reject; it throws the same ProtocolError decodeMessage would.
 */
export function encodeMessage(msg: Message, opts: CodecOptions = {}): Uint8Array {
  return wrapErrors('BAD_FIELD', 'encodeMessage', () => {
    if (typeof msg !== 'object' || msg === null) throw badField('message', 'not an object');
    const def = messageDef(msg.type);
    const env = msg as Envelope;
    const wire: Record<string, unknown> = { v: P.PROTOCOL_VERSION, t: MsgType[def.type], id: env.id };
    if (env.ts !== undefined) wire.ts = typeof env.ts === 'number' ? wireInt(env.ts) : env.ts;
    if (env.re !== undefined) wire.re = env.re;
    encodeFields(msg as unknown as Record<string, unknown>, def.fields, wire);
    const bytes = writeCbor(wire);
    const limit = opts.maxBytes ?? defaultMaxBytes(def);
    if (bytes.length > limit) throw tooLarge(bytes.length, limit);
    decodeMessage(bytes, opts);
    return bytes;
  });
}
