import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph } from '../../graph/types.js';
import { blobDataset } from '../fixtures.js';
import { defaultOptimizerConfig } from '../optim.js';
import { defaultSchedule } from '../schedule.js';
import { type TrainConfig, Trainer } from '../trainer.js';
import { shardCounts, TrainStep } from './step.js';

const data = blobDataset({ train: 200, test: 64 });

/** Conv, BatchNorm (whole-batch statistics across shards), pooling, dense: no dropout. */
function net(seed = 2): Graph {
  const b = new GraphBuilder('bn-net', [8, 8, 1], seed);
  let x = b.relu(b.batchNorm(b.conv2d(b.input, 6, 3)));
  x = b.pool('avgPool', x, 2);
  x = b.relu(b.batchNorm(b.depthwise(x, 3, { bias: false })));
  return b.build([b.dense(b.flatten(x), 4)]);
}

const config: TrainConfig = {
  epochs: 2,
  batch: 15,
  seed: 3,
  optimizer: defaultOptimizerConfig('sgd'),
  schedule: defaultSchedule('cosine', 0.05),
  valFraction: 0,
  earlyStopping: null,
};

const open: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(open.map((o) => o.close()));
});

describe('shardCounts', () => {
  it('splits a batch into near-equal slices, larger first', () => {
    expect(shardCounts(15, 2)).toEqual([8, 7]);
    expect(shardCounts(1, 3)).toEqual([1, 0, 0]);
    expect(shardCounts(64, 2)).toEqual([32, 32]);
  });
});

describe('data-parallel training step', () => {
  const order = Int32Array.from({ length: data.train.size }, (_, i) => i);

  it('gives the single-thread gradient and running statistics (BatchNorm over the whole batch)', async () => {
    const one = TrainStep.single(net(), { batch: 15, seed: 3 });
    const { step: two, fallback } = await TrainStep.create(net(), {
      batch: 15,
      seed: 3,
      threads: 2,
      numClasses: 4,
    });
    open.push(two);
    expect(fallback).toBeNull();
    expect(two.threads).toBe(2);
    for (const n of [15, 9, 1]) {
      const a = one.run(data.train, order, 0, n, 0);
      const b = two.run(data.train, order, 0, n, 0);
      expect(b.correct).toBe(a.correct);
      expect(b.lossSum).toBeCloseTo(a.lossSum, 4);
      const ga = one.plan.grads.f32;
      const gb = two.plan.grads.f32;
      let err = 0;
      let norm = 0;
      for (let i = 0; i < ga.length; i++) {
        err = Math.max(err, Math.abs(ga[i]! - gb[i]!));
        norm = Math.max(norm, Math.abs(ga[i]!));
      }
      expect(err / norm, `batch ${n}`).toBeLessThan(1e-4);
      const ba = one.plan.buffers.f32;
      const bb = two.plan.buffers.f32;
      for (let i = 0; i < ba.length; i++) expect(bb[i]!).toBeCloseTo(ba[i]!, 5);
    }
  });

  it('trains deterministically for a seed and thread count, and learns', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const t = await Trainer.create(net(), data, config, undefined, { threads: 2 });
      open.push(t);
      expect(t.threads).toBe(2);
      runs.push(t.run());
      expect(t.evaluate(data.test).accuracy).toBeGreaterThan(0.9);
      await t.close();
    }
    for (const [key, p] of Object.entries(runs[0]!.params))
      expect(Array.from(runs[1]!.params[key]!.data), key).toEqual(Array.from(p.data));
  });
});
