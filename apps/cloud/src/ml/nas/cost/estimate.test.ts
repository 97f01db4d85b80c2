import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../graph/builder.js';
import { constraintsFor, estimateLatencyMs, violations } from './constraints.js';
import { SimpleCostEstimator } from './estimate.js';
import { PROFILES, profileByName } from './profiles.js';

/** conv 3x3 1->4 valid (28 -> 26) + BN + ReLU, maxpool 2 (-> 13), flatten, dense 676 -> 10. */
function tiny() {
  const b = new GraphBuilder('t', [28, 28, 1], 1);
  let x = b.conv2d(b.input, 4, 3, { padding: 'valid' }, 'conv');
  x = b.relu(b.batchNorm(x, 'bn'), 'relu');
  x = b.pool('maxPool', x, 2, {}, 'pool');
  return b.build([b.dense(b.flatten(x, 'flat'), 10, 'fc')]);
}

describe('cost estimate', () => {
  it('counts params, MACs, flash and peak RAM of a hand-checked model', () => {
    const e = SimpleCostEstimator.estimate(tiny());
    // conv 36 + 4 bias, BN gamma/beta 8, dense 6760 + 10
    expect(e.params).toBe(36 + 4 + 8 + 6760 + 10);
    expect(e.macs).toBe(26 * 26 * 4 * 9 + 676 * 10);
    expect(e.flops).toBe(2 * e.macs);
    // int8 weights + int32 bias + 8 B per channel requantisation
    expect(e.flashBytes).toBe(36 + 16 + 32 + 6760 + 40 + 80);
    // conv runs with its input (784) and output (2704) alive; BN/ReLU in place; pool: 2704 + 676
    expect(e.ramBytes).toBe(784 + 2704);
    const perTensor = SimpleCostEstimator.estimate(tiny(), { perChannel: () => false });
    expect(perTensor.flashBytes).toBe(36 + 16 + 8 + 6760 + 40 + 8);
  });

  it('keeps values alive until their last consumer (residual branches)', () => {
    const b = new GraphBuilder('r', [8, 8, 2], 1);
    const a = b.conv2d(b.input, 2, 1, {}, 'a');
    const c = b.conv2d(a, 2, 1, {}, 'c');
    const d = b.conv2d(c, 2, 1, {}, 'd');
    const s = b.addN([a, d], 'sum');
    const g = b.build([b.dense(b.flatten(s, 'f'), 3, 'fc')]);
    // while d runs: a, c and d are alive (128 each); the input died after a
    expect(SimpleCostEstimator.estimate(g).ramBytes).toBe(3 * 128);
  });

  it('filters by the constraints of a profile', () => {
    const m4 = profileByName('cortex-m4');
    expect(m4.ramBytes).toBe(256 * 1024);
    expect(m4.flashBytes).toBe(1024 * 1024);
    expect(() => profileByName('z80')).toThrow(/known: /);
    const e = SimpleCostEstimator.estimate(tiny());
    expect(violations(e, constraintsFor(m4))).toEqual([]);
    expect(violations(e, constraintsFor(m4, { ramBytes: 3000, flashBytes: 1000 }))).toEqual(['ram', 'flash']);
    const ms = estimateLatencyMs(e.macs, m4);
    expect(ms).toBeCloseTo((e.macs * 2) / 64e3, 9);
    expect(violations(e, constraintsFor(m4, { latencyMs: ms / 2 }))).toEqual(['latency']);
    expect(violations(e, constraintsFor(m4, { maxMacs: 1000 }))).toEqual(['macs']);
    for (const p of Object.values(PROFILES)) expect(p.clockHz).toBeGreaterThan(0);
  });
});
