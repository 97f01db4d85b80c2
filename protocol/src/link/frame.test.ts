import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameFlag, FrameType, P } from '../constants/index.js';
import { isProtocolError } from '../errors.js';
import { cobsDecode, cobsEncode } from './cobs.js';
import { crc32 } from './crc.js';
import { decodeFrame, encodeFrame, encodeRawFrame, type FrameFields } from './frame.js';

/** COBS body of an encoded frame (drops the delimiter). */
const body = (wire: Uint8Array) => wire.subarray(0, wire.length - 1);
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!isProtocolError(e)) throw e;
    return e.code;
  }
};
/** Re-stuffs a raw frame after `edit`, fixing the CRC so only the header checks can fail. */
const withValidCrc = (f: FrameFields, payload: Uint8Array, edit: (raw: Uint8Array) => void) => {
  const raw = encodeRawFrame(f, payload);
  edit(raw);
  const crc = crc32(raw.subarray(0, raw.length - 4));
  new DataView(raw.buffer).setUint32(raw.length - 4, crc, true);
  return cobsEncode(raw);
};

describe('frame codec (PROTOCOL.md §3.2, §3.3)', () => {
  it('uses the zlib CRC-32 (check value of "123456789")', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('lays out the header little-endian and ends with the delimiter', () => {
    const wire = encodeFrame(
      { type: FrameType.DATA, flags: FrameFlag.ACK_VALID, rwnd: 16, seq: 0x1234, ack: 0xabcd },
      Uint8Array.of(7, 8, 9),
    );
    expect(wire.at(-1)).toBe(0);
    const raw = cobsDecode(body(wire));
    expect([...raw.subarray(0, 10)]).toEqual([1, 1, 1, 16, 0x34, 0x12, 0xcd, 0xab, 3, 0]);
    expect(new DataView(raw.buffer).getUint32(13, true)).toBe(crc32(raw.subarray(0, 13)));
  });

  it('round-trips DATA frames with any header values and payloads', () => {
    fc.assert(
      fc.property(
        fc.record({
          flags: fc.constantFrom(
            0,
            FrameFlag.ACK_VALID,
            FrameFlag.ACK_VALID | FrameFlag.MORE,
            FrameFlag.MORE,
          ),
          rwnd: fc.integer({ min: 0, max: P.LINK_MAX_WINDOW }),
          seq: fc.integer({ min: 0, max: 0xffff }),
          ack: fc.integer({ min: 0, max: 0xffff }),
        }),
        fc.uint8Array({ maxLength: 600 }),
        (h, payload) => {
          const ackValid = (h.flags & FrameFlag.ACK_VALID) !== 0;
          const f = { type: FrameType.DATA, ...h, ack: ackValid ? h.ack : 0, rwnd: ackValid ? h.rwnd : 0 };
          const got = decodeFrame(body(encodeFrame(f, payload)));
          expect(got.header).toEqual({ version: 1, ...f, length: payload.length });
          expect(got.payload).toEqual(payload);
        },
      ),
    );
  });

  it('checks in the order of §3.7.2 with the codes of §3.8', () => {
    const ack = { type: FrameType.ACK, flags: FrameFlag.ACK_VALID, rwnd: 4, ack: 9 };
    const sack = new Uint8Array(4);
    expect(codeOf(() => decodeFrame(body(encodeFrame(ack, sack))))).toBeUndefined();
    expect(codeOf(() => decodeFrame(cobsEncode(new Uint8Array(13).fill(1))))).toBe('TRUNCATED');
    expect(codeOf(() => decodeFrame(body(encodeFrame({ type: 1 }, new Uint8Array(300))), 256))).toBe(
      'TOO_LARGE',
    );
    const bad = encodeFrame(ack, sack).slice();
    bad[3] = bad[3]! ^ 0x40;
    expect(codeOf(() => decodeFrame(body(bad)))).toBe('CRC_MISMATCH');
    const cases: [string, (raw: Uint8Array) => void, string][] = [
      ['version', (r) => (r[0] = 2), 'UNSUPPORTED_VERSION'],
      ['type', (r) => (r[1] = 9), 'UNKNOWN_TYPE'],
      ['length', (r) => (r[8] = 5), 'MALFORMED'],
      ['reserved flag', (r) => (r[2] = 0x05), 'BAD_FIELD'],
      ['rwnd', (r) => (r[3] = 33), 'OUT_OF_RANGE'],
      ['ACK with seq', (r) => (r[4] = 1), 'BAD_FIELD'],
      ['ACK without ACK_VALID', (r) => (r[2] = 0), 'BAD_FIELD'],
    ];
    for (const [name, edit, code] of cases) {
      expect(
        codeOf(() => decodeFrame(withValidCrc(ack, sack, edit))),
        name,
      ).toBe(code);
    }
    expect(codeOf(() => decodeFrame(body(encodeFrame(ack, new Uint8Array(3)))))).toBe('MALFORMED');
    expect(codeOf(() => decodeFrame(body(encodeFrame({ type: FrameType.HELLO }, new Uint8Array(15)))))).toBe(
      'MALFORMED',
    );
    expect(codeOf(() => decodeFrame(body(encodeFrame({ type: FrameType.ERROR }, new Uint8Array(1)))))).toBe(
      'MALFORMED',
    );
    expect(
      codeOf(() => decodeFrame(body(encodeFrame({ type: FrameType.ERROR, seq: 3 }, new Uint8Array(2))))),
    ).toBe('BAD_FIELD');
  });

  it('throws only ProtocolError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (junk) => {
        const code = codeOf(() => decodeFrame(junk));
        expect(code === undefined || typeof code === 'string').toBe(true);
      }),
    );
  });
});
