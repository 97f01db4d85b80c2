import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { blobDataset } from '../train/fixtures.js';
import { defaultOptimizerConfig } from '../train/optim.js';
import { defaultSchedule } from '../train/schedule.js';
import { evaluateGraph, Trainer } from '../train/trainer.js';
import { countParams } from './count.js';
import { type CompressConfig, compressModel } from './pipeline.js';

const data = blobDataset({ train: 512, test: 256, classes: 4, size: 8 });

function trained(): { graph: Graph; accuracy: number } {
  const b = new GraphBuilder('tiny', [8, 8, 1], 3);
  let x = b.relu(b.conv2d(b.input, 8, 3, {}, 'c1'), 'r1');
  x = b.pool('maxPool', x, 2, {}, 'p1');
  x = b.relu(b.batchNorm(b.conv2d(x, 16, 3, {}, 'c2'), 'bn2'), 'r2');
  const g = b.build([b.dense(b.flatten(b.pool('maxPool', x, 2, {}, 'p2'), 'flat'), 4, 'fc')]);
  const t = new Trainer(g, data, {
    epochs: 4,
    batch: 32,
    seed: 1,
    optimizer: defaultOptimizerConfig('sgd'),
    schedule: defaultSchedule('cosine', 0.05),
    valFraction: 0,
    earlyStopping: null,
  });
  const graph = t.run();
  return { graph, accuracy: evaluateGraph(graph, data.test).accuracy };
}

const base = trained();

function config(o: Partial<CompressConfig>): CompressConfig {
  return {
    method: 'structured-l1',
    schedule: 'agp',
    sparsity: 0.5,
    steps: 3,
    scope: 'per-layer',
    finetune: { epochs: 2, batch: 32, lr: 0.02, seed: 2 },
    seed: 1,
    ...o,
  };
}

describe('compressModel on a tiny synthetic model', () => {
  it('the baseline learns the task', () => {
    expect(base.accuracy).toBeGreaterThan(0.9);
  });

  it('structured L1 + AGP to half the parameters keeps the accuracy and shrinks the graph', async () => {
    const r = await compressModel(
      base.graph,
      { train: data.train, numClasses: 4, eval: data.test },
      config({}),
    );
    expect(r.physical).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3]);
    for (const s of r.steps) expect(s.paramFraction).toBeLessThanOrEqual(1 - s.sparsity + 1e-9);
    expect(countParams(r.graph)).toBeLessThanOrEqual(0.5 * countParams(base.graph));
    expect(evaluateGraph(r.graph, data.test).accuracy).toBeGreaterThanOrEqual(base.accuracy - 0.03);
  });

  it('element-wise one-shot keeps the masks through fine-tuning (sparsity, same size)', async () => {
    const r = await compressModel(
      base.graph,
      { train: data.train, numClasses: 4 },
      config({ method: 'elementwise-l1', schedule: 'one-shot', sparsity: 0.6 }),
    );
    expect(r.physical).toBe(false);
    const last = r.steps.at(-1)!;
    expect(last.paramFraction).toBe(1);
    expect(last.nonzeroFraction).toBeLessThanOrEqual(0.4 + 1e-3);
    expect(evaluateGraph(r.graph, data.test).accuracy).toBeGreaterThanOrEqual(base.accuracy - 0.05);
  });

  it('every criterion runs end to end', async () => {
    for (const method of [
      'structured-l2',
      'structured-grad',
      'structured-apoz',
      'structured-random',
    ] as const) {
      const r = await compressModel(
        base.graph,
        { train: data.train, numClasses: 4 },
        config({ method, schedule: 'one-shot', finetune: { epochs: 1, batch: 32, lr: 0.02, seed: 2 } }),
      );
      expect(r.steps[0]!.paramFraction).toBeLessThanOrEqual(0.5);
    }
  });
});
