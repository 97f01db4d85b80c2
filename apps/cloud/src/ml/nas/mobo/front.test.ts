import { describe, expect, it } from 'vitest';
import { Rng } from '../../tensor/rng.js';
import { genomeProblems } from '../space/genome.js';
import { randomGenome } from '../space/sample.js';
import { genomeEncoding, latinHypercube } from './encoding.js';
import { hypervolume, kMeans } from './front.js';

describe('hypervolume in d dimensions', () => {
  it('matches hand-computed volumes', () => {
    expect(hypervolume([[0.5, 0.5, 0.5, 0.5]], [1, 1, 1, 1])).toBeCloseTo(0.0625, 12);
    // two boxes 1 x 1 x 0.5 and 0.5 x 0.5 x 1 overlapping in 0.5 x 0.5 x 0.5
    expect(
      hypervolume(
        [
          [0, 0, 0.5],
          [0.5, 0.5, 0],
        ],
        [1, 1, 1],
      ),
    ).toBeCloseTo(0.5 + 0.25 - 0.125, 12);
    // dominated and outside points add nothing; 2-D uses the exact sweep
    expect(
      hypervolume(
        [
          [0, 0, 0.5],
          [0.5, 0.5, 0],
          [0.6, 0.6, 0.6],
          [0.1, 0.1, 1.2],
        ],
        [1, 1, 1],
      ),
    ).toBeCloseTo(0.625, 12);
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
    ).toBe(6);
    expect(hypervolume([], [1, 1, 1])).toBe(0);
  });

  it('agrees with a Monte Carlo estimate on random 4-D fronts', () => {
    const rng = new Rng(9);
    const pts = Array.from({ length: 12 }, () => Array.from({ length: 4 }, () => 0.2 + 0.8 * rng.next()));
    let hit = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const q = [rng.next(), rng.next(), rng.next(), rng.next()];
      if (pts.some((p) => p.every((v, k) => v <= q[k]!))) hit++;
    }
    expect(hypervolume(pts, [1, 1, 1, 1])).toBeCloseTo(hit / n, 2);
  });
});

describe('k-means', () => {
  it('finds the centres of two separated clusters', () => {
    const rng = new Rng(3);
    const pts = [
      ...Array.from({ length: 10 }, () => [0.1 + 0.05 * rng.next(), 0.1 + 0.05 * rng.next()]),
      ...Array.from({ length: 10 }, () => [0.8 + 0.05 * rng.next(), 0.9 + 0.05 * rng.next()]),
    ];
    const c = kMeans(rng, pts, 2).sort((a, b) => a[0]! - b[0]!);
    expect(c[0]![0]).toBeCloseTo(0.125, 1);
    expect(c[1]![1]).toBeCloseTo(0.925, 1);
    expect(kMeans(rng, pts.slice(0, 1), 3)).toHaveLength(1);
  });
});

describe('genome encoding', () => {
  for (const shape of [
    [28, 28, 1],
    [49, 13],
  ])
    it(`round-trips genomes and decodes any point of the box (input [${shape.join(', ')}])`, () => {
      const enc = genomeEncoding(shape);
      const rng = new Rng(7);
      for (let i = 0; i < 200; i++) {
        const g = enc.canonical(randomGenome(rng));
        const x = enc.encode(g);
        expect(x).toHaveLength(enc.dims);
        expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(enc.decode(x)).toEqual(g);
      }
      for (const x of latinHypercube(rng, 50, enc.dims)) {
        const g = enc.decode(x);
        expect(genomeProblems(g)).toEqual([]);
        expect(enc.encode(enc.decode(enc.encode(g)))).toEqual(enc.encode(g));
      }
      expect(enc.series).toBe(shape.length === 2);
    });

  it('draws one Latin-hypercube point per stratum of every coordinate', () => {
    const pts = latinHypercube(new Rng(1), 5, 3);
    for (let j = 0; j < 3; j++) expect(pts.map((p) => Math.floor(p[j]! * 5)).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
