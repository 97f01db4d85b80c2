import { describe, expect, it } from 'vitest';
import { ErrorCode, P } from '../constants/index.js';
import {
  checkHello,
  decodeErrorPayload,
  decodeHello,
  decodeSack,
  encodeErrorPayload,
  encodeHello,
  encodeSack,
  type HelloPayload,
} from './payloads.js';

const hello: HelloPayload = {
  version: 1,
  window: 16,
  maxFramePayload: 256,
  maxMessageBytes: 65536,
  epoch: 0x11223344,
  peerEpoch: 0xaabbccdd,
};

describe('control payloads (PROTOCOL.md §3.5.4, §3.6.1, §3.8)', () => {
  it('lays out HELLO as 16 little-endian bytes', () => {
    const b = encodeHello(hello);
    expect(b.length).toBe(P.LINK_HELLO_PAYLOAD_BYTES);
    expect(Buffer.from(b).toString('hex')).toBe('0110000100000100' + '44332211' + 'ddccbbaa');
    expect(decodeHello(b)).toEqual(hello);
  });

  it('validates HELLO values', () => {
    expect(checkHello(hello)).toBeUndefined();
    expect(checkHello({ ...hello, version: 0 })?.code).toBe('UNSUPPORTED_VERSION');
    expect(checkHello({ ...hello, window: 0 })?.code).toBe('OUT_OF_RANGE');
    expect(checkHello({ ...hello, window: 33 })?.code).toBe('OUT_OF_RANGE');
    expect(checkHello({ ...hello, maxFramePayload: 63 })?.code).toBe('OUT_OF_RANGE');
    expect(checkHello({ ...hello, maxFramePayload: 4097 })?.code).toBe('OUT_OF_RANGE');
    expect(checkHello({ ...hello, maxMessageBytes: 65537 })?.code).toBe('OUT_OF_RANGE');
    expect(checkHello({ ...hello, epoch: 0 })?.code).toBe('BAD_FIELD');
    expect(checkHello({ ...hello, version: 7 })).toBeUndefined(); // newer peers negotiate down
    expect(() => decodeHello(new Uint8Array(15))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('encodes the SACK bitmap as u32 little-endian', () => {
    expect([...encodeSack(0x80000001)]).toEqual([1, 0, 0, 0x80]);
    expect(decodeSack(encodeSack(0xdeadbeef))).toBe(0xdeadbeef);
    expect(() => decodeSack(new Uint8Array(5))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('encodes ERROR as u16 code + UTF-8 text, cut at a character boundary', () => {
    const p = encodeErrorPayload('TOO_LARGE', 'zu groß', 9);
    expect([...p.subarray(0, 2)]).toEqual([ErrorCode.TOO_LARGE, 0]);
    expect(decodeErrorPayload(p)).toEqual({ code: 4, name: 'TOO_LARGE', text: 'zu gro' });
    expect(decodeErrorPayload(encodeErrorPayload(999))).toEqual({ code: 999, name: undefined, text: '' });
    expect(decodeErrorPayload(Uint8Array.of(2, 0, 0xff)).text).toBe('\ufffd');
  });
});
