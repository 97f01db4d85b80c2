import { describe, expect, it } from 'vitest';
import { PlanError } from './errors.js';
import { liveness } from './liveness.js';

describe('liveness (PROTOCOL.md §5.6)', () => {
  it('a chain: each tensor lives from its writer to its last reader; the output to the end', () => {
    // 0 -> op0 -> 1 -> op1 -> 2 -> op2 (reshape) -> 3 -> op3 -> 4
    const ops = [
      { inputs: [0], output: 1, alias: false },
      { inputs: [1], output: 2, alias: false },
      { inputs: [2], output: 3, alias: true },
      { inputs: [3], output: 4, alias: false },
    ];
    const l = liveness(ops, 0, 4);
    expect([...l.ranges]).toEqual([
      [0, { first: -1, last: 0 }],
      [1, { first: 0, last: 1 }],
      [2, { first: 1, last: 3 }],
      [4, { first: 3, last: 4 }],
    ]);
    expect(l.root.get(3)).toBe(2);
  });

  it('a residual graph keeps the skip tensor alive until the add', () => {
    // x0 -> conv a (1) -> conv b (2) -> add(1, 2) (3) -> dense (4)
    const ops = [
      { inputs: [0], output: 1, alias: false },
      { inputs: [1], output: 2, alias: false },
      { inputs: [1, 2], output: 3, alias: false },
      { inputs: [3], output: 4, alias: false },
    ];
    const l = liveness(ops, 0, 4);
    expect(l.ranges.get(1)).toEqual({ first: 0, last: 2 });
    expect(l.ranges.get(2)).toEqual({ first: 1, last: 2 });
    expect(l.ranges.get(3)).toEqual({ first: 2, last: 3 });
  });

  it('rejects reading a tensor before it is written', () => {
    expect(() => liveness([{ inputs: [5], output: 1, alias: false }], 0, 1)).toThrow(PlanError);
  });
});
