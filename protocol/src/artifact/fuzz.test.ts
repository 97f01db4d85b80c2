import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { exampleArtifactModel } from './example.js';
import { H } from './layout.js';
import { readArtifact } from './reader.js';
import { reseal } from './test-helpers.js';
import { writeArtifact } from './writer.js';

const valid = writeArtifact(exampleArtifactModel());

/** Parses, or throws only ProtocolError; whatever parses is canonical (PROTOCOL.md §1.5, §5.10). */
function readsSafely(bytes: Uint8Array): void {
  try {
    const p = readArtifact(bytes);
    expect(Buffer.from(writeArtifact(p)).equals(Buffer.from(bytes.subarray(0, p.contentBytes)))).toBe(true);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    // A RangeError wrapped by the safety net would mean a read outside a checked bound.
    if (e.cause instanceof RangeError) throw e;
  }
}

describe('artifact reader on arbitrary input (fast-check)', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), readsSafely), { numRuns: 500 });
  });

  it('a valid header followed by random bytes, digest resealed', () => {
    const header = valid.subarray(0, H.SECTIONS);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), fc.nat(2200), (tail, content) => {
        const b = new Uint8Array(header.length + tail.length);
        b.set(header);
        b.set(tail, header.length);
        if (b.length >= 16) new DataView(b.buffer).setUint32(H.CONTENT_BYTES, content & ~15, true);
        readsSafely(reseal(b));
      }),
      { numRuns: 500 },
    );
  });

  it('random multi-byte mutations of a valid artifact, digest resealed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (edits) => {
          const b = valid.slice();
          for (const [at, value] of edits) b[at] = value;
          readsSafely(reseal(b));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
