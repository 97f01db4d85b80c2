import { describe, expect, it } from 'vitest';
import { profileByName } from '../plan/profiles.js';
import { analyzeGroups } from '../prune/index.js';
import { blobDataset } from '../train/fixtures.js';
import { sampleFeasible, type TauRow, tauTable } from './benchmark.js';
import { constraintsFor } from './cost/constraints.js';
import { finalizeSelection, genomeKeep } from './final.js';
import { evaluateCandidate, proxyBatch } from './search/candidate.js';
import { decode, stageOfNode } from './space/decode.js';
import type { Genome } from './space/genome.js';

const data = blobDataset({ train: 512, test: 128, size: 12, seed: 2 });
const m4 = profileByName('cortex-m4');

const genome: Genome = {
  family: 'plain',
  stemChannels: 8,
  stemKernel: 3,
  stemStride: 1,
  stages: [
    { blocks: 1, channels: 16, kernel: 3, expansion: 1, downsample: true, prune: 0, quant: 'per-channel' },
  ],
  // flatten: the classes differ by where the blob is, which global pooling would discard
  head: 'flatten',
  seriesLayout: 'temporal',
};

/** How the tests score a candidate before the final step (grad_norm on 8 samples, cortex-m4 bounds). */
const scoring = () => ({
  inputShape: data.inputShape,
  numClasses: data.numClasses,
  constraints: constraintsFor(m4),
  proxies: ['grad_norm'] as const,
  batch: proxyBatch(data.train, data.inputShape, data.numClasses, 8, 1),
  seed: 1,
});

describe('after the search', () => {
  it('trains, quantizes and plans the selected models: int8 close to float, and the artifact fits', async () => {
    const c = evaluateCandidate(genome, scoring());
    const [m] = await finalizeSelection([c], data, { profile: m4, epochs: 4, seed: 1, threads: 1, lr: 0.05 });
    expect(m!.float_accuracy).toBeGreaterThan(0.9);
    expect(Math.abs(m!.quant_accuracy - m!.float_accuracy)).toBeLessThan(0.05);
    expect(m!.quant_test_samples).toBe(128);
    expect(m!.per_channel).toBe(true);
    expect(m!.fits).toBe(true);
    expect(m!.macs).toBe(c.cost.macs);
    // zero pruning genes: the trained model is what is quantized, unchanged
    expect(m!.pruned).toBe(false);
    expect(m!.params).toBe(m!.params_unpruned);
    expect(m!.float_accuracy).toBe(m!.float_accuracy_unpruned);
    const tight = await finalizeSelection([c], data, {
      profile: { ...m4, ramBytes: m4.runtimeRamBytes + 100 },
      epochs: 1,
      seed: 1,
      threads: 1,
    });
    expect(tight[0]!.limits).toEqual(['ram']);
  }, 60_000);
});

describe('pruning genes', () => {
  const pruned: Genome = { ...genome, stages: [{ ...genome.stages[0]!, prune: 0.5 }] };

  it('keep lists follow the stage ratios: the stage conv loses half its filters, the stem none', () => {
    const g = decode(pruned, data.inputShape, data.numClasses, { seed: 1 });
    const a = analyzeGroups(g);
    const keep = genomeKeep(g, pruned);
    const sizes = [...keep].map(([id, k]) => [a.groups[id]!.producers.map(stageOfNode), k.length]);
    expect(sizes).toEqual([[[0], 8]]);
    expect(genomeKeep(g, genome).size).toBe(0);
  });

  it('a residual group spanning two stages takes the smaller ratio; the others take their own', () => {
    const st = genome.stages[0]!;
    const res: Genome = {
      ...genome,
      family: 'res',
      head: 'gap',
      stages: [
        { ...st, blocks: 2, downsample: false, prune: 0.25 },
        { ...st, downsample: false, prune: 0.5 },
      ],
    };
    const g = decode(res, data.inputShape, data.numClasses, { seed: 1 });
    const a = analyzeGroups(g);
    const cut = new Map(
      [...genomeKeep(g, res)].map(([id, k]) => [a.groups[id]!.producers.join('+'), k.length]),
    );
    // identity shortcuts tie stage 0's block outputs (first one projected from the 8-channel stem) to
    // stage 1's: that trunk keeps 12 of 16 (min(0.25, 0.5)); stage 1's inner conv alone loses half
    expect(cut).toEqual(
      new Map([
        ['s0_conv4', 12],
        ['s0_conv7+s0_proj9+s0_conv16+s1_conv23', 12],
        ['s0_conv13', 12],
        ['s1_conv20', 8],
      ]),
    );
  });

  it('prunes after training (one-shot): fewer params and MACs, fine-tuned, and it still fits and plans', async () => {
    const c = evaluateCandidate(pruned, scoring());
    const [m] = await finalizeSelection([c], data, {
      profile: m4,
      epochs: 4,
      seed: 1,
      threads: 1,
      lr: 0.05,
      pruneSchedule: 'one-shot',
      pruneFinetune: { epochs: 1, samplesPerEpoch: 256 },
    });
    expect(m!.pruned).toBe(true);
    expect(m!.params).toBeLessThan(m!.params_unpruned * 0.7);
    expect(m!.macs).toBeLessThan(c.cost.macs);
    expect(m!.float_accuracy_unpruned).toBeGreaterThan(0.9);
    expect(m!.float_accuracy).toBeGreaterThan(0.8);
    expect(Math.abs(m!.quant_accuracy - m!.float_accuracy)).toBeLessThan(0.05);
    expect(m!.fits).toBe(true);
    expect(m!.prune_seconds).toBeGreaterThan(0);
    expect(m!.prune_schedule).toBe('one-shot');
    // AGP during the training (the default) ends at the same size; no unpruned model is trained
    const [g] = await finalizeSelection([c], data, { profile: m4, epochs: 4, seed: 1, threads: 1, lr: 0.05 });
    expect(g!.prune_schedule).toBe('agp');
    expect(g!.pruned).toBe(true);
    expect(g!.params).toBe(m!.params);
    expect(g!.params_unpruned).toBe(m!.params_unpruned);
    expect(g!.float_accuracy_unpruned).toBeNull();
    expect(g!.float_accuracy).toBeGreaterThan(0.8);
    expect(g!.fits).toBe(true);
  }, 60_000);
});

describe('proxy benchmark', () => {
  it('samples distinct feasible architectures; tau is 1 for a proxy that orders like accuracy', () => {
    const c = constraintsFor(m4, { maxMacs: 200_000 });
    const gs = sampleFeasible(6, c, data.inputShape, data.numClasses, 3);
    expect(gs).toHaveLength(6);
    const rows: TauRow[] = [0.2, 0.5, 0.9, 0.4].map((acc, i) => ({
      key: `k${i}`,
      accuracy: acc,
      params: 10 - i,
      flops: i,
      scores: { 16: { grad_norm: acc * 3, snip: -acc, params: 10 - i } },
    }));
    const t = tauTable(rows, [16], { both: ['grad_norm', 'snip'] })[16]!;
    expect(t.grad_norm).toBe(1);
    expect(t.snip).toBe(-1);
    expect(t.both).toBeNaN(); // opposite ranks average to a tie everywhere
    expect(t.flops).toBeCloseTo(kendall([0, 1, 2, 3], [0.2, 0.5, 0.9, 0.4]), 12);
  });
});

function kendall(a: number[], b: number[]): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      s += Math.sign(a[i]! - a[j]!) * Math.sign(b[i]! - b[j]!);
      n++;
    }
  return s / n;
}
