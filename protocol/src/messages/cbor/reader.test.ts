import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { C, cat } from './build.js';
import { CborFloat, CborTag, readCbor } from './reader.js';
import { Float32, wireInt, writeCbor } from './writer.js';

function code(bytes: Uint8Array): string {
  try {
    readCbor(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  return 'OK';
}

describe('readCbor (PROTOCOL.md §4.1.2)', () => {
  it('reads integers of every width, including non-preferred ones', () => {
    expect(readCbor(C.uint(0))).toBe(0);
    expect(readCbor(C.uint(23))).toBe(23);
    expect(readCbor(C.uint(24))).toBe(24);
    expect(readCbor(C.uint(5, 8))).toBe(5);
    expect(readCbor(C.uint(0xffff_ffff))).toBe(0xffff_ffff);
    expect(readCbor(C.uint(2 ** 53 - 1))).toBe(2 ** 53 - 1);
    expect(readCbor(C.uint(2n ** 64n - 1n))).toBe(2n ** 64n - 1n);
    expect(readCbor(C.neg(-1))).toBe(-1);
    expect(readCbor(C.neg(-1000))).toBe(-1000);
  });

  it('keeps floats apart from integers, any width', () => {
    expect(readCbor(C.f16(0x3c00))).toEqual(new CborFloat(1, 2));
    expect(readCbor(C.f16(0x0001))).toEqual(new CborFloat(2 ** -24, 2));
    expect(readCbor(C.f16(0xfc00))).toEqual(new CborFloat(Number.NEGATIVE_INFINITY, 2));
    expect((readCbor(C.f16(0x7e00)) as CborFloat).value).toBeNaN();
    expect(readCbor(C.f32(0.5))).toEqual(new CborFloat(0.5, 4));
    expect(readCbor(C.f64(0.1))).toEqual(new CborFloat(0.1, 8));
  });

  it('reads strings, arrays, maps, simple values and typed-array tags', () => {
    expect(readCbor(C.tstr('grüße ✓'))).toBe('grüße ✓');
    expect(readCbor(C.bstr([1, 2]))).toEqual(Uint8Array.of(1, 2));
    expect(readCbor(C.array(C.true, C.false, C.null))).toEqual([true, false, null]);
    expect(readCbor(C.map(['a', C.uint(1)], ['b', C.array()]))).toEqual(
      new Map<string, unknown>([
        ['a', 1],
        ['b', []],
      ]),
    );
    expect(readCbor(C.u16le([1, 0xffff]))).toEqual(new CborTag(69, Uint8Array.of(1, 0, 0xff, 0xff)));
  });

  it('reads what the cbor-x writer writes', () => {
    const bytes = writeCbor({
      f: new Float32(1),
      i: wireInt(2 ** 40),
      u: new Uint16Array([7]),
      b: new Uint8Array([9]),
    });
    const m = readCbor(bytes) as Map<string, unknown>;
    expect(m.get('f')).toEqual(new CborFloat(1, 4));
    expect(m.get('u')).toEqual(new CborTag(69, Uint8Array.of(7, 0)));
    expect(m.get('b')).toEqual(Uint8Array.of(9));
    expect(m.get('i')).toBe(2 ** 40);
    expect(bytes.includes(0x1b)).toBe(true); // 2^40 as uint64, not float64
  });

  it('rejects truncated input with TRUNCATED at every cut', () => {
    const full = C.map(['k', C.array(C.tstr('hello'), C.f64(1.5), C.u16le([1, 2]))]);
    for (let n = 0; n < full.length; n++) expect(code(full.subarray(0, n)), `cut at ${n}`).toBe('TRUNCATED');
    expect(code(cat([0x9b], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe('TRUNCATED');
  });

  it.each([
    ['trailing bytes', cat(C.uint(1), C.uint(2))],
    ['indefinite array', Uint8Array.of(0x9f, 0x01, 0xff)],
    ['indefinite bytes', Uint8Array.of(0x5f, 0x41, 0x00, 0xff)],
    ['lone break', Uint8Array.of(0xff)],
    ['reserved additional information', Uint8Array.of(0x1d)],
    ['undefined', C.undefined],
    ['simple value 16', Uint8Array.of(0xf0)],
    ['simple value in two bytes', Uint8Array.of(0xf8, 0x20)],
    ['a tag outside the profile', C.tag(1, C.uint(0))],
    ['typed array tag around an array', C.tag(69, C.array())],
    ['typed array of odd length', C.tag(78, C.bstr([1, 2, 3]))],
    ['invalid UTF-8', C.bstrText([0xff])],
    ['an overlong UTF-8 encoding', C.bstrText([0xc0, 0xaf])],
    ['a UTF-8 surrogate', C.bstrText([0xed, 0xa0, 0x80])],
    ['a non-text key', C.map([C.uint(1), C.uint(1)])],
    ['a duplicate key', C.map(['a', C.uint(1)], ['a', C.uint(2)])],
  ])('rejects %s with MALFORMED', (_, bytes) => {
    expect(code(bytes)).toBe('MALFORMED');
  });

  it('bounds nesting at P.MESSAGE_MAX_DEPTH', () => {
    const nest = (d: number): Uint8Array => (d === 0 ? C.uint(0) : C.array(nest(d - 1)));
    expect(code(nest(8))).toBe('OK');
    expect(code(nest(9))).toBe('MALFORMED');
    const wrap = (d: number, inner: Uint8Array): Uint8Array =>
      d === 0 ? inner : C.array(wrap(d - 1, inner));
    expect(code(wrap(7, C.u16le([1])))).toBe('OK'); // a tag counts as a level
    expect(code(wrap(8, C.u16le([1])))).toBe('MALFORMED');
    // A deep bomb is rejected quickly, not by exhausting the stack.
    expect(code(new Uint8Array(100_000).fill(0x81))).toBe('MALFORMED');
  });
});
