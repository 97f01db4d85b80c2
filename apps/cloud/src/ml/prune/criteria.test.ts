import { describe, expect, it } from 'vitest';
import type { DataSplit } from '../data/types.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { Rng } from '../tensor/rng.js';
import { type Criterion, scoreChannels } from './criteria.js';
import { PruneError } from './errors.js';
import { analyzeGroups, prunableGroups } from './groups.js';
import { topChannels } from './structured.js';
import { editParam } from './test-models.js';

/** conv 2x2 valid on [2, 2, 1] (3 filters of 4 weights) -> relu -> flatten -> dense 2. */
function probe(filters: number[][], bias: number[], denseRows?: number[][]): Graph {
  const b = new GraphBuilder('probe', [2, 2, 1], 1);
  const x = b.relu(b.conv2d(b.input, 3, 2, { padding: 'valid' }, 'c'), 'r');
  let g = b.build([b.dense(b.flatten(x), 2, 'fc')]);
  g = editParam(g, 'c.weight', (d) => {
    for (let f = 0; f < 3; f++) for (let i = 0; i < 4; i++) d[i * 3 + f] = filters[f]![i]!;
  });
  g = editParam(g, 'c.bias', (d) => d.set(bias));
  if (denseRows) g = editParam(g, 'fc.weight', (d) => d.set(denseRows.flat()));
  return g;
}

function sample(n: number, lo: number): DataSplit {
  const rng = new Rng(4);
  const xs = Array.from({ length: n }, () => Float32Array.from({ length: 4 }, () => rng.uniform(lo, 1)));
  return { size: n, get: (i) => ({ x: xs[i]!.slice(), y: i % 2 }) };
}

function scores(g: Graph, c: Criterion, split?: DataSplit, seed = 0): Float64Array {
  const groups = prunableGroups(analyzeGroups(g));
  const data = split ? { data: { split, numClasses: 2, samples: 200, batch: 32 } } : {};
  return scoreChannels(g, groups, c, { ...data, seed }).get(groups[0]!.id)!;
}

const byScore = (s: Float64Array): number[] => Array.from(s.keys()).sort((a, b) => s[b]! - s[a]!);

describe('criteria rank hand-made cases', () => {
  const g = probe(
    [
      [2, 0, 0, 0],
      [0.7, 0.7, 0.7, 0.7],
      [0.1, -0.1, 0.1, -0.1],
    ],
    [0, 0, 0],
  );

  it('l1 prefers many moderate weights, l2 one large weight', () => {
    expect(Array.from(scores(g, 'l1'))).toEqual([0.5, expect.closeTo(0.7, 6), expect.closeTo(0.1, 6)]);
    expect(byScore(scores(g, 'l1'))).toEqual([1, 0, 2]);
    expect(byScore(scores(g, 'l2'))).toEqual([0, 1, 2]);
    expect(topChannels(scores(g, 'l1'), 1)).toEqual([1]);
    expect(topChannels(scores(g, 'l2'), 2)).toEqual([0, 1]);
  });

  it('grad: a large filter the loss does not depend on scores zero', () => {
    const dead = probe(
      [
        [3, 3, 3, 3],
        [0.5, 0.5, 0.5, 0.5],
        [0.2, 0.2, 0.2, 0.2],
      ],
      [0.1, 0.1, 0.1],
      [
        [0, 0],
        [1, -1],
        [-1, 1],
      ],
    );
    const s = scores(dead, 'grad', sample(64, 0));
    expect(s[0]).toBe(0);
    expect(s[1]!).toBeGreaterThan(0);
    expect(s[2]!).toBeGreaterThan(0);
    expect(byScore(scores(dead, 'l1'))[0]).toBe(0);
    expect(byScore(s)[2]).toBe(0);
  });

  it('apoz: always-off < half-on < always-on', () => {
    const a = probe(
      [
        [1, 1, 1, 1],
        [1, 1, 1, 1],
        [1, 1, 1, 1],
      ],
      [-100, 100, 0],
    );
    const s = scores(a, 'apoz', sample(400, -1));
    expect(s[0]).toBe(0);
    expect(s[1]).toBe(1);
    expect(s[2]!).toBeGreaterThan(0.35);
    expect(s[2]!).toBeLessThan(0.65);
  });

  it('random is seeded', () => {
    expect(scores(g, 'random', undefined, 3)).toEqual(scores(g, 'random', undefined, 3));
    expect(scores(g, 'random', undefined, 3)).not.toEqual(scores(g, 'random', undefined, 4));
  });

  it('data-driven criteria need data', () => {
    expect(() => scores(g, 'apoz')).toThrow(PruneError);
  });
});
