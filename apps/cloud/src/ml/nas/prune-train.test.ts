import { describe, expect, it } from 'vitest';
import { analyzeGroups, countParams, removeChannels } from '../prune/index.js';
import { blobDataset } from '../train/fixtures.js';
import { genomeKeep } from './prune-genes.js';
import { pruningPoints, trainPruned } from './prune-train.js';
import { decode } from './space/decode.js';
import type { Genome } from './space/genome.js';
import { trainBriefly } from './train.js';

const data = blobDataset({ train: 512, test: 128, size: 12, seed: 2 });
const st = {
  blocks: 1,
  channels: 16,
  kernel: 3,
  expansion: 1,
  downsample: true,
  prune: 0,
  quant: 'per-channel',
} as const;
const genome: Genome = {
  family: 'plain',
  stemChannels: 8,
  stemKernel: 3,
  stemStride: 1,
  stages: [st, { ...st, downsample: false }],
  head: 'flatten',
  seriesLayout: 'temporal',
};
const pruned: Genome = {
  ...genome,
  stages: [
    { ...st, prune: 0.5 },
    { ...st, downsample: false, prune: 0.75 },
  ],
};
const o = { epochs: 3, seed: 1, threads: 1, lr: 0.05, batch: 32 };

describe('training with gradual pruning', () => {
  it('places the AGP cuts evenly between the two fractions of all steps', () => {
    expect(pruningPoints(600, { steps: 3, from: 1 / 6, to: 1 / 2 })).toEqual([100, 200, 300]);
    expect(pruningPoints(10, { steps: 1, from: 0.2, to: 0.5 })).toEqual([5]);
    expect(() => pruningPoints(10, { steps: 0, from: 0.2, to: 0.5 })).toThrow(/steps >= 1/);
  });

  it('without pruning genes it is the trainer run of train.ts, parameter for parameter', async () => {
    const a = await trainPruned(
      decode(genome, data.inputShape, data.numClasses, { seed: 1 }),
      genome,
      data,
      o,
    );
    const b = await trainBriefly(decode(genome, data.inputShape, data.numClasses, { seed: 1 }), data, o);
    expect(a.pruned).toBe(false);
    expect(a.testAccuracy).toBe(b.testAccuracy);
    for (const [k, t] of Object.entries(b.graph.params)) expect(a.graph.params[k]!.data).toEqual(t.data);
  });

  it('ends with the channel counts of a one-shot cut, and the smaller model still learns', async () => {
    const g = decode(pruned, data.inputShape, data.numClasses, { seed: 1 });
    const r = await trainPruned(g, pruned, data, o);
    expect(r.pruned).toBe(true);
    expect(r.paramsBefore).toBe(countParams(g));
    const shapes = (x: typeof g): number[][] => Object.values(x.params).map((t) => [...t.shape]);
    const keep = genomeKeep(g, pruned);
    expect(keep.size).toBe(2);
    expect(shapes(r.graph)).toEqual(shapes(removeChannels(g, analyzeGroups(g), keep)));
    expect(r.testAccuracy).toBeGreaterThan(0.9);
  }, 60_000);
});
