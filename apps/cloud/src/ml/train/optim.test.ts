import { describe, expect, it } from 'vitest';
import { createOptimizerState, defaultOptimizerConfig, optimizerStep } from './optim.js';
import { defaultSchedule, learningRate } from './schedule.js';

describe('optimizers', () => {
  it('SGD with momentum and L2 weight decay on masked entries', () => {
    const s = createOptimizerState(defaultOptimizerConfig('sgd', { momentum: 0.5, weightDecay: 0.1 }), 2);
    const p = Float32Array.of(1, 1);
    const mask = Uint8Array.of(1, 0);
    optimizerStep(s, p, Float32Array.of(1, 1), 0.1, mask);
    expect(p[0]).toBeCloseTo(1 - 0.1 * 1.1, 6);
    expect(p[1]).toBeCloseTo(0.9, 6);
    optimizerStep(s, p, Float32Array.of(0, 0), 0.1, mask);
    expect(p[1]).toBeCloseTo(0.9 - 0.1 * 0.5, 6);
  });

  it('Adam: first step moves every parameter by about lr against its gradient', () => {
    const s = createOptimizerState(defaultOptimizerConfig('adam'), 3);
    const p = Float32Array.of(0, 0, 0);
    optimizerStep(s, p, Float32Array.of(3, -0.01, 100), 0.01, new Uint8Array(3));
    expect(Array.from(p).map((v) => Number(v.toFixed(4)))).toEqual([-0.01, 0.01, -0.01]);
  });
});

describe('learning-rate schedules', () => {
  it('step, cosine (with warm-up) and one-cycle', () => {
    expect(learningRate(defaultSchedule('step', 1, { stepEpochs: 2, gamma: 0.5 }), 25, 100, 10)).toBe(0.5);
    const cos = defaultSchedule('cosine', 1, { warmupEpochs: 1 });
    expect(learningRate(cos, 0, 100, 10)).toBeCloseTo(0.1);
    expect(learningRate(cos, 10, 100, 10)).toBeCloseTo(1);
    expect(learningRate(cos, 100, 100, 10)).toBeCloseTo(0);
    const one = defaultSchedule('onecycle', 1);
    expect(learningRate(one, 0, 100, 10)).toBeCloseTo(1 / 25);
    expect(learningRate(one, 25, 100, 10)).toBeCloseTo(1);
    expect(learningRate(one, 99, 100, 10)).toBeLessThan(0.01);
  });
});
