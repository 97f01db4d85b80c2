/**
 * A real case for the QAT fallback (skipped without the FSDD recordings): a small, short-trained DS-CNN
 * (width 12, 6 epochs) on the spoken digits loses more than a point to uint8 per-tensor PTQ (PROTOCOL.md
 * §6.1, §6.4); two epochs of QAT bring the integer model back to within a point of the float one.
 */
import { describe, expect, it } from 'vitest';
import { loadFsdd } from '../../data/fsdd.js';
import { realDataDir } from '../../data/test-fixtures.js';
import { defaultOptimizerConfig } from '../../train/optim.js';
import { defaultSchedule } from '../../train/schedule.js';
import { evaluateGraph, Trainer } from '../../train/trainer.js';
import { dsCnn } from '../../zoo/ds-cnn.js';
import { evaluateQuantized } from '../evaluate.js';
import { postTrainingQuantize } from '../ptq.js';
import { qat } from './qat.js';

const real = realDataDir('fsdd');

describe.skipIf(!real)(`QAT on FSDD (${real ?? 'absent: skipped'})`, () => {
  it('recovers what PTQ loses on a short-trained ds-cnn', { timeout: 180_000 }, async () => {
    const ds = await loadFsdd(real as string);
    const data = { numClasses: 10, train: ds.train };
    const trainer = new Trainer(dsCnn({ inputShape: ds.inputShape, classes: 10, width: 12, seed: 0 }), data, {
      epochs: 6,
      batch: 32,
      seed: 0,
      optimizer: defaultOptimizerConfig('sgd'),
      schedule: defaultSchedule('cosine', 0.05),
      valFraction: 0,
      earlyStopping: null,
    });
    const graph = trainer.run();
    const float = evaluateGraph(graph, ds.test).accuracy;
    const ptq = evaluateQuantized(postTrainingQuantize(graph, ds.train), ds.test).accuracy;
    const r = await qat(graph, data, { training: { epochs: 2 } });
    const q = postTrainingQuantize(r.graph, ds.train, { ranges: r.ranges });
    const qatAcc = evaluateQuantized(q, ds.test).accuracy;
    console.info(`ds-cnn/FSDD: float ${float}, PTQ ${ptq}, QAT ${qatAcc}`);
    expect(float - ptq).toBeGreaterThan(0.01);
    expect(qatAcc).toBeGreaterThanOrEqual(float - 0.01);
  });
});
