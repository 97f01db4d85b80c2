import { describe, expect, it } from 'vitest';
import { P } from '../constants/index.js';
import { MESSAGE_TYPES } from '../constants/table.js';
import { ProtocolError } from '../errors.js';
import { C } from './cbor/build.js';
import { EXAMPLES } from './examples.js';
import {
  CATALOG,
  DeviceIdSequence,
  decodeMessage,
  deviceMessageId,
  ENVELOPE_KEYS,
  encodeMessage,
  type Message,
  maxEncodedSize,
  messageIdHex,
  parseDeviceMessageId,
  randomMessageId,
  updatedStructures,
} from './index.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  return 'OK';
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const example = (name: string): Message => EXAMPLES.find((e) => e.name === name)!.message;

describe('message catalog (PROTOCOL.md §4)', () => {
  it('declares every MESSAGE_TYPES entry exactly once', () => {
    expect(CATALOG.map((d) => d.type).sort()).toEqual(MESSAGE_TYPES.map((e) => e.name).sort());
    expect(new Set(CATALOG.map((d) => d.section)).size).toBe(CATALOG.length);
  });

  it('uses short lowercase keys, unique per message, never an envelope key', () => {
    for (const d of CATALOG) {
      const keys = Object.values(d.fields).map((f) => f.key);
      expect(new Set(keys).size, d.type).toBe(keys.length);
      for (const k of keys) {
        expect(k, d.type).toMatch(/^[a-z]{1,6}$/);
        expect(ENVELOPE_KEYS as readonly string[], d.type).not.toContain(k);
      }
    }
  });

  it('fits every device-hop message in the link limit, and an OTA block in 4096 + 128 bytes (§4.1.6)', () => {
    for (const d of CATALOG) {
      if (d.hop === 'device') expect(maxEncodedSize(d), d.type).toBeLessThanOrEqual(P.LINK_MAX_MESSAGE_BYTES);
    }
    expect(maxEncodedSize(CATALOG.find((d) => d.type === 'OTA_BLOCK')!)).toBeLessThanOrEqual(
      P.OTA_BLOCK_BYTES + 128,
    );
  });
});

describe('encodeMessage / decodeMessage', () => {
  it('has an example of every type, and every example round-trips to the same bytes', () => {
    expect(new Set(EXAMPLES.map((e) => e.message.type)).size).toBe(MESSAGE_TYPES.length);
    for (const { name, message } of EXAMPLES) {
      const bytes = encodeMessage(message);
      expect(decodeMessage(bytes), name).toEqual(message);
      expect(hex(encodeMessage(decodeMessage(bytes))), name).toBe(hex(bytes));
      const def = CATALOG.find((d) => d.type === message.type)!;
      expect(bytes.length, name).toBeLessThanOrEqual(maxEncodedSize(def));
    }
  });

  it('writes the envelope first: v, t, id (§4.1.1)', () => {
    const bytes = encodeMessage(example('log'));
    expect(hex(bytes.subarray(1, 10))).toBe(`6176${'01'}6174${'04'}626964`);
  });

  it('writes float32 fields as CBOR float32, integral values included (§4.1.3)', () => {
    const bytes = encodeMessage(example('train-start'));
    expect(hex(bytes)).toContain(`626577${'fa3f800000'}`); // "ew": 1.0f
    expect(hex(bytes)).toContain(`626565${'fa00000000'}`); // "ee": 0.0f
  });

  it('rounds float32 fields to float32 and accepts integers and other widths on decode', () => {
    const m = { type: 'TRAIN_CONFIG', id: randomMessageId(), sessionId: 1, learningRate: 0.1 } as const;
    expect((decodeMessage(encodeMessage(m)) as { learningRate: number }).learningRate).toBe(Math.fround(0.1));
  });

  it('rejects invalid values on encode with the decoder codes', () => {
    const log = example('log') as Extract<Message, { type: 'LOG' }>;
    expect(codeOf(() => encodeMessage({ ...log, text: 'x'.repeat(257) }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeMessage({ ...log, text: '\ud800' }))).toBe('BAD_FIELD');
    expect(codeOf(() => encodeMessage({ ...log, text: undefined as unknown as string }))).toBe('BAD_FIELD');
    expect(codeOf(() => encodeMessage({ ...log, level: 'LOUD' as 'INFO' }))).toBe('BAD_FIELD');
    expect(codeOf(() => encodeMessage({ ...log, uptimeMs: 'soon' as unknown as number }))).toBe('BAD_FIELD');
    expect(codeOf(() => encodeMessage({ ...log, id: new Uint8Array(4) }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeMessage({ ...log, type: 'NOPE' as 'LOG' }))).toBe('UNKNOWN_TYPE');
    const metrics = example('train-metrics') as Extract<Message, { type: 'TRAIN_METRICS' }>;
    expect(codeOf(() => encodeMessage({ ...metrics, loss: Number.NaN }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => encodeMessage({ ...metrics, step: 1.5 }))).toBe('BAD_FIELD');
  });

  it('enforces size limits (§4.1.6)', () => {
    const block = example('ota-block-max');
    expect(codeOf(() => encodeMessage(block, { maxBytes: 1024 }))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeMessage(encodeMessage(block), { maxBytes: 1024 }))).toBe('TOO_LARGE');
    const bloated = C.map(
      ['v', C.uint(1)],
      ['t', C.uint(4)],
      ['id', C.bstr(new Uint8Array(8))],
      ['lvl', C.uint(3)],
      ['msg', C.tstr('x')],
      ['pad', C.bstr(new Uint8Array(P.LINK_MAX_MESSAGE_BYTES))],
    );
    expect(codeOf(() => decodeMessage(bloated))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeMessage(new Uint8Array(P.MQTT_MAX_PAYLOAD_BYTES + 1)))).toBe('TOO_LARGE');
  });

  it('does not alias the input buffer, also when it is a Node Buffer', () => {
    for (const bytes of [
      encodeMessage(example('ota-block')),
      Buffer.from(encodeMessage(example('ota-block'))),
    ]) {
      const m = decodeMessage(bytes) as Extract<Message, { type: 'OTA_BLOCK' }>;
      expect(m).toEqual(example('ota-block'));
      expect(Object.getPrototypeOf(m.data)).toBe(Uint8Array.prototype);
      const before = hex(m.data);
      bytes.fill(0);
      expect(hex(m.data)).toBe(before);
    }
  });

  it('checks that a HELLO id carries its boot counter (§4.1.5)', () => {
    const hello = example('hello') as Extract<Message, { type: 'HELLO' }>;
    expect(codeOf(() => encodeMessage({ ...hello, id: deviceMessageId(8, 0) }))).toBe('BAD_FIELD');
    expect(codeOf(() => encodeMessage({ ...hello, id: randomMessageId() }))).toBe('BAD_FIELD');
  });

  it('only throws ProtocolError, also for inputs that are not bytes', () => {
    expect(codeOf(() => decodeMessage('a1' as unknown as Uint8Array))).toBe('BAD_FIELD');
    expect(codeOf(() => decodeMessage(null as unknown as Uint8Array))).toBe('BAD_FIELD');
    expect(codeOf(() => encodeMessage(null as unknown as Message))).not.toBe('OK');
  });
});

describe('message ids (§4.1.5)', () => {
  it('device ids are boot counter LE || message counter LE', () => {
    const id = deviceMessageId(0x01020304, 0x0a0b0c0d);
    expect(messageIdHex(id)).toBe('040302010d0c0b0a');
    expect(parseDeviceMessageId(id)).toEqual({ bootCounter: 0x01020304, counter: 0x0a0b0c0d });
    expect(parseDeviceMessageId(randomMessageId())).toBeUndefined();
    expect(codeOf(() => deviceMessageId(-1, 0))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => deviceMessageId(0, 2 ** 32))).toBe('OUT_OF_RANGE');
    const seq = new DeviceIdSequence(5, 9);
    expect(messageIdHex(seq.next())).toBe('0500000009000000');
    expect(messageIdHex(seq.next())).toBe('050000000a000000');
  });

  it('random ids are 16 bytes and differ', () => {
    const a = randomMessageId();
    expect(a.length).toBe(16);
    expect(messageIdHex(a)).not.toBe(messageIdHex(randomMessageId()));
  });
});

describe('partial updates (§4.4.1)', () => {
  it('k = max(1, floor(min(λmin + |eps| (λmax - λmin), 1) N))', () => {
    expect(updatedStructures(10, 0.1, 0.5, 0)).toBe(1);
    expect(updatedStructures(10, 0.1, 0.5, 1)).toBe(5);
    expect(updatedStructures(10, 0.1, 0.5, -1)).toBe(5);
    expect(updatedStructures(10, 0.1, 0.5, 0.5)).toBe(3);
    expect(updatedStructures(10, 0, 0, 0.9)).toBe(1);
    expect(updatedStructures(64, 1, 1, 0)).toBe(64);
    expect(updatedStructures(64, 0.5, 1, 2)).toBe(64);
    expect(updatedStructures(3, 0.1, 0.1, 0)).toBe(1);
  });
});
