/**
 * DS-CNN on the real FSDD recordings (skipped without them): a short, narrow run on two threads must
 * already be far above chance. The full acceptance run (>= 90%) is `tinyfleet train --arch ds-cnn
 * --dataset fsdd` (see README); it takes minutes, too long for the unit suite.
 */
import { describe, expect, it } from 'vitest';
import { loadFsdd } from '../data/fsdd.js';
import { realDataDir } from '../data/test-fixtures.js';
import { defaultOptimizerConfig } from '../train/optim.js';
import { defaultSchedule } from '../train/schedule.js';
import { Trainer } from '../train/trainer.js';
import { dsCnn } from './ds-cnn.js';

const real = realDataDir('fsdd');

describe.skipIf(!real)(`ds-cnn on FSDD (${real ?? 'absent: skipped'})`, () => {
  it('learns the spoken digits in a short run (test accuracy > 60%)', async () => {
    const ds = await loadFsdd(real as string);
    const graph = dsCnn({ inputShape: ds.inputShape, classes: 10, width: 24, depth: 2, seed: 1 });
    const trainer = await Trainer.create(
      graph,
      { numClasses: 10, train: ds.train },
      {
        epochs: 3,
        batch: 32,
        seed: 1,
        optimizer: defaultOptimizerConfig('sgd'),
        schedule: defaultSchedule('cosine', 0.05),
        valFraction: 0,
        earlyStopping: null,
      },
      undefined,
      { threads: 2 },
    );
    try {
      trainer.run();
    } finally {
      await trainer.close();
    }
    expect(trainer.evaluate(ds.test).accuracy).toBeGreaterThan(0.6);
  });
});
