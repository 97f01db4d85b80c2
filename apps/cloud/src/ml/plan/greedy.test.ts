import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Buffer, placeGreedy } from './greedy.js';
import { liveness, overlaps } from './liveness.js';

describe('greedy first-fit placement (RESEARCH.md §6)', () => {
  it('reuses memory of buffers that are not alive together, 16-aligned', () => {
    const bufs: Buffer[] = [
      { key: 0, bytes: 100, first: 0, last: 1 },
      { key: 1, bytes: 50, first: 1, last: 2 },
      { key: 2, bytes: 30, first: 2, last: 3 },
    ];
    const p = placeGreedy(bufs);
    expect(p.offsets.get(0)).toBe(0);
    expect(p.offsets.get(1)).toBe(112);
    expect(p.offsets.get(2)).toBe(0);
    expect(p.bytes).toBe(176);
  });

  it('keeps fixed buffers where they are and fills the gaps', () => {
    const p = placeGreedy(
      [{ key: 9, bytes: 16, first: 0, last: 0 }],
      [{ key: 1, bytes: 40, first: 0, last: 0, offset: 32 }],
    );
    expect(p.offsets.get(9)).toBe(0);
    expect(
      placeGreedy(
        [{ key: 9, bytes: 33, first: 0, last: 0 }],
        [{ key: 1, bytes: 40, first: 0, last: 0, offset: 32 }],
      ).offsets.get(9),
    ).toBe(80);
  });

  // random DAGs: op i reads 1..3 earlier tensors; liveness then placement
  const graph = fc
    .integer({ min: 1, max: 24 })
    .chain((n) =>
      fc.tuple(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: n + 1, maxLength: n + 1 }),
        fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { minLength: n, maxLength: n }),
      ),
    );

  it('never overlaps two tensors that are alive at the same time (property)', () => {
    fc.assert(
      fc.property(graph, ([sizes, reads]) => {
        const ops = reads.map((r, i) => ({ inputs: r.map((k) => k % (i + 1)), output: i + 1, alias: false }));
        const live = liveness(ops, 0, ops.length);
        const bufs = [...live.ranges].map(([key, r]) => ({ key, bytes: sizes[key]!, ...r }));
        const p = placeGreedy(bufs);
        for (const a of p.placed) {
          expect(a.offset % 16).toBe(0);
          expect(a.offset + a.bytes).toBeLessThanOrEqual(p.bytes);
          for (const b of p.placed) {
            if (a.key >= b.key || !overlaps(a, b)) continue;
            expect(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset).toBe(true);
          }
        }
        // never worse than giving every buffer its own 16-aligned slot
        expect(p.bytes).toBeLessThanOrEqual(bufs.reduce((s, b) => s + Math.ceil(b.bytes / 16) * 16, 0));
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
