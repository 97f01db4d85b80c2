import { describe, expect, it } from 'vitest';
import { generateAll, staleVectors } from './gen-vectors.js';

describe('golden vectors (PROTOCOL.md §7.1)', () => {
  it('every committed vector equals a fresh generation (run npm run gen:vectors)', () => {
    expect(staleVectors()).toEqual([]);
  });

  it('covers every set with at least one file', () => {
    const paths = generateAll().map((f) => f.path);
    for (const dir of ['cbor/', 'cbor/invalid/', 'link/', 'artifact/']) {
      expect(
        paths.some((p) => p.startsWith(dir)),
        dir,
      ).toBe(true);
    }
  });
});
