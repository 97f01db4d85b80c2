import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { arbitraryMessage, arbitraryMessageOf } from './arbitraries.js';
import { CATALOG } from './catalog.js';
import { EXAMPLES } from './examples.js';
import { decodeMessage, encodeMessage } from './index.js';

/** Decodes, requiring that the only possible failure is a ProtocolError. */
function decodeOrReject(bytes: Uint8Array): void {
  try {
    decodeMessage(bytes);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

const validEncodings = EXAMPLES.map((e) => encodeMessage(e.message));

/** One edit of a byte string: flip, set, insert, delete, truncate or duplicate a slice. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(src: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === 'flip') b[at]! ^= 1 << m.bit;
    else if (m.op === 'set') b[at] = m.byte;
    else if (m.op === 'insert') b = Uint8Array.from([...b.subarray(0, at), m.byte, ...b.subarray(at)]);
    else if (m.op === 'delete') b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
    else if (m.op === 'truncate') b = b.slice(0, at);
    else b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + m.len), ...b.subarray(at)]);
  }
  return b;
}

describe('properties (PROTOCOL.md §4.1.7)', () => {
  it.each(CATALOG.map((d) => d.type))(
    '%s round-trips: decode(encode(m)) = m, and re-encodes to the same bytes',
    (type) => {
      fc.assert(
        fc.property(arbitraryMessageOf(type), (m) => {
          const bytes = encodeMessage(m);
          const back = decodeMessage(bytes);
          expect(back).toEqual(m);
          expect(Buffer.from(encodeMessage(back)).equals(Buffer.from(bytes))).toBe(true);
        }),
        { numRuns: 60 },
      );
    },
  );

  it('random bytes only ever fail with ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => decodeOrReject(b)),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a valid map header only ever fail with ProtocolError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0xa0, max: 0xbb }), fc.uint8Array({ maxLength: 200 }), (h, b) =>
        decodeOrReject(Uint8Array.from([h, 0x61, 0x76, 0x01, 0x61, 0x74, ...b])),
      ),
      { numRuns: 2000 },
    );
  });

  it('mutations of valid encodings only ever fail with ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...validEncodings),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (b, ms) => decodeOrReject(mutate(b, ms)),
      ),
      { numRuns: 3000 },
    );
  });

  it('mutations of generated messages only ever fail with ProtocolError', () => {
    fc.assert(
      fc.property(arbitraryMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, ms) =>
        decodeOrReject(mutate(encodeMessage(m), ms)),
      ),
      { numRuns: 1000 },
    );
  });
});
