import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../graph/builder.js';
import { profileByName, slotBytes } from '../../plan/profiles.js';
import { Rng } from '../../tensor/rng.js';
import { decode } from '../space/decode.js';
import { mutate, randomGenome } from '../space/sample.js';
import { constraintsFor, macsLatencyMs, violations } from './constraints.js';
import { SimpleCostEstimator } from './estimate.js';
import { cheapCost, genomePerChannel, plannerCost } from './planned.js';

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

  it("filters by the constraints of the planner's profile (RAM, one model slot of flash)", () => {
    const m4 = profileByName('cortex-m4');
    const c = constraintsFor(m4);
    expect(c.ramBytes).toBe(256 * 1024);
    expect(c.flashBytes).toBe(slotBytes(m4));
    expect(() => profileByName('z80')).toThrow(/known: /);
    const e = cheapCost(tiny(), m4, randomGenome(new Rng(1)));
    expect(e.ramBytes).toBe(784 + 2704 + m4.runtimeRamBytes);
    expect(violations(e, c)).toEqual([]);
    expect(violations(e, constraintsFor(m4, { ramBytes: 3000, flashBytes: 1000 }))).toEqual(['ram', 'flash']);
    const ms = macsLatencyMs(e.macs, m4);
    expect(ms).toBeCloseTo((e.macs * 2) / 64e3, 9);
    expect(violations(e, constraintsFor(m4, { latencyMs: ms / 2 }))).toEqual(['latency']);
    expect(violations(e, constraintsFor(m4, { maxMacs: 1000 }))).toEqual(['macs']);
  });

  it('quantizes per-channel by majority of stages, and always for depthwise families', () => {
    const g = randomGenome(new Rng(2));
    const stage = g.stages[0]!;
    const with_ = (family: typeof g.family, quants: ('per-channel' | 'per-tensor')[]) =>
      genomePerChannel({ ...g, family, stages: quants.map((quant) => ({ ...stage, quant })) });
    expect(with_('plain', ['per-channel', 'per-tensor', 'per-tensor'])).toBe(false);
    expect(with_('res', ['per-channel', 'per-tensor'])).toBe(true);
    expect(with_('ds', ['per-tensor', 'per-tensor'])).toBe(true);
    expect(with_('ir', ['per-tensor'])).toBe(true);
  });

  it("the cheap figures are lower bounds of the planner's, so rejecting on them is safe", () => {
    const rng = new Rng(5);
    const p = profileByName('cortex-m4');
    for (let i = 0; i < 60; i++) {
      let g = randomGenome(rng);
      if (i % 2) g = mutate(rng, g);
      const graph = decode(g, i % 3 ? [28, 28, 1] : [98, 13], 10, { seed: i });
      const cheap = cheapCost(graph, p, g);
      const exact = plannerCost(graph, p, genomePerChannel(g));
      expect(cheap.ramBytes).toBeLessThanOrEqual(exact.ramBytes);
      expect(cheap.flashBytes).toBeLessThanOrEqual(exact.flashBytes);
      expect(cheap.latencyMs).toBeLessThanOrEqual(exact.latencyMs + 1e-9);
      expect(cheap.macs).toBe(exact.macs);
    }
  });
});
