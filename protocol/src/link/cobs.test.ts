import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../errors.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replaceAll(' ', ''), 'hex'));
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('COBS (PROTOCOL.md §3.1)', () => {
  const cases: [string, Uint8Array, Uint8Array][] = [
    ['empty', new Uint8Array(0), hex('01')],
    ['one zero', hex('00'), hex('0101')],
    ['two zeros', hex('0000'), hex('010101')],
    ['zero inside', hex('11220033'), hex('0311220233')],
    ['no zero', hex('11223344'), hex('0511223344')],
    ['trailing zeros', hex('11000000'), hex('0211010101')],
    ['254 non-zero bytes: no trailing empty block', range(1, 254), cat(hex('ff'), range(1, 254))],
    ['zero then 254 non-zero', cat(hex('00'), range(1, 254)), cat(hex('01ff'), range(1, 254))],
    ['255 non-zero bytes', range(1, 255), cat(hex('ff'), range(1, 254), hex('02ff'))],
    ['254 non-zero then zero', cat(range(2, 255), hex('00')), cat(hex('ff'), range(2, 255), hex('0101'))],
  ];
  for (const [name, raw, enc] of cases) {
    it(`encodes and decodes: ${name}`, () => {
      expect(Buffer.from(cobsEncode(raw)).toString('hex')).toBe(Buffer.from(enc).toString('hex'));
      expect(cobsDecode(enc)).toEqual(raw);
    });
  }

  it('accepts the non-canonical empty block after a full block', () => {
    expect(cobsDecode(cat(hex('ff'), range(1, 254), hex('01')))).toEqual(range(1, 254));
  });

  it('rejects a block running past the end and a zero byte as MALFORMED', () => {
    expect(() => cobsDecode(hex('05112233'))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => cobsDecode(hex('03110033'))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('round-trips any bytes, never emits 0x00, stays within the size bound', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (raw) => {
        const enc = cobsEncode(raw);
        expect(enc.includes(0)).toBe(false);
        expect(enc.length).toBeLessThanOrEqual(cobsMaxEncodedLength(raw.length));
        expect(cobsDecode(enc)).toEqual(raw);
      }),
    );
  });

  it('decoding arbitrary bytes returns or throws a ProtocolError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (junk) => {
        try {
          cobsDecode(junk);
        } catch (e) {
          expect(isProtocolError(e)).toBe(true);
        }
      }),
    );
  });
});
