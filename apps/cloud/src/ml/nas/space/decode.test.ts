import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../graph/shapes.js';
import { Rng } from '../../tensor/rng.js';
import { NasError } from '../errors.js';
import { decode, stageOfNode } from './decode.js';
import { type Genome, genomeKey, genomeProblems } from './genome.js';
import { crossover, mutate, randomGenome } from './sample.js';

const SHAPES: readonly (readonly number[])[] = [
  [28, 28, 1],
  [98, 13],
  [8, 8, 3],
  [5, 3],
  [1, 1, 2],
  [16, 1],
];

/** A genome reached by sampling, a chain of mutations and a crossover (all from one seed). */
function evolved(seed: number, steps: number): Genome {
  const rng = new Rng(seed);
  let g = randomGenome(rng);
  for (let i = 0; i < steps; i++) g = mutate(rng, g);
  return crossover(rng, g, randomGenome(rng));
}

describe('search space', () => {
  it('every sampled, mutated or crossed genome is valid and decodes to a graph that passes shape inference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(...SHAPES),
        fc.integer({ min: 2, max: 12 }),
        (seed, steps, shape, classes) => {
          const g = evolved(seed, steps);
          expect(genomeProblems(g)).toEqual([]);
          const graph = decode(g, shape, classes, { seed });
          const shapes = inferShapes(graph);
          expect(shapes.get(graph.outputs[0]!)).toEqual([classes]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is deterministic per seed', () => {
    expect(genomeKey(evolved(7, 3))).toBe(genomeKey(evolved(7, 3)));
    const a = decode(evolved(7, 3), [28, 28, 1], 10, { seed: 1 });
    const b = decode(evolved(7, 3), [28, 28, 1], 10, { seed: 1 });
    expect(a.nodes).toEqual(b.nodes);
    expect(a.params['fc.weight']!.data).toEqual(b.params['fc.weight']!.data);
  });

  it('builds 1-D (k x 1) convolutions for temporal series and 2-D ones for spectrograms', () => {
    const g: Genome = { ...evolved(3, 0), family: 'plain', seriesLayout: 'temporal' };
    const t = decode(g, [98, 13], 10);
    const conv = t.nodes.find((n) => n.op === 'conv2d');
    expect(conv?.op === 'conv2d' && conv.attrs.kernel[1]).toBe(1);
    const s = decode({ ...g, seriesLayout: 'spectrogram' }, [98, 13], 10);
    const conv2 = s.nodes.find((n) => n.op === 'conv2d');
    expect(conv2?.op === 'conv2d' && conv2.attrs.kernel[1]).toBeGreaterThan(1);
  });

  it('names nodes by stage so compression genes can be mapped to layers', () => {
    const g = evolved(11, 2);
    const graph = decode(g, [28, 28, 1], 10);
    const stages = new Set(graph.nodes.map((n) => stageOfNode(n.name)).filter((s) => s !== null));
    expect([...stages].sort()).toEqual(g.stages.map((_, i) => i));
  });

  it('rejects invalid genomes and inputs with a typed error', () => {
    const g = evolved(1, 0);
    expect(() => decode({ ...g, stages: [] }, [28, 28, 1], 10)).toThrow(NasError);
    expect(() => decode({ ...g, stemChannels: 7 }, [28, 28, 1], 10)).toThrow(/stemChannels/);
    expect(() => decode(g, [28], 10)).toThrow(NasError);
  });
});
