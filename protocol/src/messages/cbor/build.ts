/**
 * Hand assembly of CBOR bytes (RFC 8949 §3), independent of cbor-x and of the reader: golden vectors
 * and tests use it to write exactly the bytes they mean, including forms the encoder never produces
 * (non-preferred widths, float16, indefinite lengths, invalid items).
 */

export type Bytes = Uint8Array | readonly number[];

export function cat(...parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An initial byte and argument; `width` forces 0 (in the byte), 1, 2, 4 or 8 argument bytes. */
export function head(major: number, n: number | bigint, width?: 0 | 1 | 2 | 4 | 8): Uint8Array {
  const v = BigInt(n);
  const w = width ?? (v < 24n ? 0 : v < 0x100n ? 1 : v < 0x10000n ? 2 : v < 0x1_0000_0000n ? 4 : 8);
  if (w === 0) return Uint8Array.of((major << 5) | Number(v));
  const out = new Uint8Array(1 + w);
  out[0] = (major << 5) | { 1: 24, 2: 25, 4: 26, 8: 27 }[w];
  for (let i = 0; i < w; i++) out[w - i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

const utf8 = new TextEncoder();

export const C = {
  uint: (n: number | bigint, width?: 0 | 1 | 2 | 4 | 8) => head(0, n, width),
  /** A negative integer n < 0. */
  neg: (n: number) => head(1, -1 - n),
  bstr: (b: Bytes) => cat(head(2, b.length), b),
  tstr: (s: string) => C.bstrText(utf8.encode(s)),
  /** A text string made of arbitrary (possibly invalid UTF-8) bytes. */
  bstrText: (b: Bytes) => cat(head(3, b.length), b),
  array: (...items: Bytes[]) => cat(head(4, items.length), ...items),
  /** A map; string keys become text strings, byte keys are written as given. */
  map: (...pairs: readonly (readonly [string | Bytes, Bytes])[]) =>
    cat(head(5, pairs.length), ...pairs.flatMap(([k, v]) => [typeof k === 'string' ? C.tstr(k) : k, v])),
  tag: (n: number, inner: Bytes) => cat(head(6, n), inner),
  f16: (bits: number) => Uint8Array.of(0xf9, bits >> 8, bits & 0xff),
  f32: (x: number) => {
    const b = new Uint8Array(5);
    b[0] = 0xfa;
    new DataView(b.buffer).setFloat32(1, x);
    return b;
  },
  f64: (x: number) => {
    const b = new Uint8Array(9);
    b[0] = 0xfb;
    new DataView(b.buffer).setFloat64(1, x);
    return b;
  },
  true: Uint8Array.of(0xf5),
  false: Uint8Array.of(0xf4),
  null: Uint8Array.of(0xf6),
  undefined: Uint8Array.of(0xf7),
  /** uint16 little-endian typed array, RFC 8746 tag 69. */
  u16le: (values: readonly number[]) => {
    const b = new Uint8Array(values.length * 2);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => {
      view.setUint16(2 * i, v, true);
    });
    return C.tag(69, C.bstr(b));
  },
};
