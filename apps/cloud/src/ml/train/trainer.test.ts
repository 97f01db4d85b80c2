import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import { decodeModel, encodeModel } from '../model/format.js';
import { blobDataset } from './fixtures.js';
import { defaultOptimizerConfig, type OptimizerKind } from './optim.js';
import { defaultSchedule } from './schedule.js';
import { type TrainConfig, Trainer } from './trainer.js';

const data = blobDataset({ train: 384, test: 128 });

function tinyCnn(seed = 1): Graph {
  const b = new GraphBuilder('tiny', [8, 8, 1], seed);
  let x = b.relu(b.conv2d(b.input, 4, 3));
  x = b.pool('maxPool', x, 2);
  x = b.relu(b.batchNorm(b.conv2d(x, 8, 3)));
  return b.build([b.dense(b.dropout(b.flatten(x), 0.1), 4)]);
}

function config(o: Partial<TrainConfig> & { kind?: OptimizerKind; lr?: number } = {}): TrainConfig {
  const kind = o.kind ?? 'sgd';
  return {
    epochs: 3,
    batch: 16,
    seed: 5,
    optimizer: defaultOptimizerConfig(kind, { weightDecay: 1e-4 }),
    schedule: defaultSchedule('cosine', o.lr ?? (kind === 'adam' ? 0.01 : 0.05)),
    valFraction: 0.25,
    earlyStopping: null,
    ...o,
  };
}

describe('Trainer', () => {
  for (const kind of ['sgd', 'adam'] as const) {
    it(`learns a separable problem with ${kind} (accuracy rises)`, () => {
      const t = new Trainer(tinyCnn(), data, config({ kind }));
      const before = t.evaluate(data.test).accuracy;
      t.run();
      const after = t.evaluate(data.test).accuracy;
      expect(before).toBeLessThan(0.6);
      expect(after).toBeGreaterThan(0.9);
      expect(t.state.history).toHaveLength(3);
      expect(t.state.history[2]!.valAccuracy).toBeGreaterThan(0.85);
    });
  }

  it('is deterministic for a seed, and resuming from a saved checkpoint gives the same parameters', () => {
    const straight = new Trainer(tinyCnn(), data, config()).run();
    const first = new Trainer(tinyCnn(), data, config());
    first.run({
      onEpochEnd: (_g, state) => {
        if (state.epoch === 1) state.stopped = true;
      },
    });
    // round-trip through the model file, then continue
    const file = decodeModel(
      encodeModel({ graph: first.graph(), metadata: {}, training: { ...first.state, stopped: false } }),
    );
    const resumed = new Trainer(file.graph, data, file.training!.config, file.training!).run();
    for (const [key, t] of Object.entries(straight.params)) {
      expect(Array.from(resumed.params[key]!.data), key).toEqual(Array.from(t.data));
    }
  });

  it('stops early when validation loss stops improving and restores the best parameters', () => {
    const t = new Trainer(
      tinyCnn(),
      data,
      config({ epochs: 10, lr: 0, earlyStopping: { patience: 2, minDelta: 0 } }),
    );
    t.run();
    expect(t.state.stopped).toBe(true);
    expect(t.state.history.length).toBe(3);
    expect(t.state.best?.epoch).toBe(1);
  });

  it('rejects a model whose outputs do not match the classes', () => {
    const b = new GraphBuilder('t', [8, 8, 1]);
    const g = b.build([b.dense(b.flatten(b.input), 3)]);
    expect(() => new Trainer(g, data, config())).toThrow(/3 outputs, the data set 4 classes/);
  });
});
