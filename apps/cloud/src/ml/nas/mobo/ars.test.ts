import { describe, expect, it } from 'vitest';
import { Rng } from '../../tensor/rng.js';
import { ars, DEFAULT_ARS, linearPolicy, mlpPolicy, rollout, StateNormaliser } from './ars.js';

describe('Augmented Random Search', () => {
  it('climbs a quadratic reward in parameter space', () => {
    const target = Float64Array.from({ length: 8 }, (_, i) => (i % 3) - 1 + 0.25 * i);
    const reward = (t: Float64Array): number => -t.reduce((s, v, i) => s + (v - target[i]!) ** 2, 0);
    const theta0 = new Float64Array(8);
    const theta = ars(
      theta0,
      reward,
      { iterations: 80, directions: 8, top: 4, stepSize: 0.3, noise: 0.2 },
      new Rng(2),
    );
    expect(reward(theta0)).toBeLessThan(-5);
    // 90% of the way: a fixed step normalised by the reward spread does not settle exactly
    expect(reward(theta)).toBeGreaterThan(0.1 * reward(theta0));
    expect([...theta0]).toEqual(new Array(8).fill(0)); // the start is not modified
  });

  it('keeps theta when every direction gives the same reward', () => {
    const theta = ars(Float64Array.from([1, 2]), () => 3, DEFAULT_ARS, new Rng(1));
    expect([...theta]).toEqual([1, 2]);
  });

  for (const [name, make, v2] of [
    ['linear V1-t', () => linearPolicy(2, 2, 0.2), false],
    ['linear V2-t', () => linearPolicy(2, 2, 0.2), true],
    ['MLP V1-t', () => mlpPolicy(2, 2, 6, 0.2), false],
  ] as const)
    it(`trains a ${name} policy that walks a state towards a goal`, () => {
      const goal = [0.9, 0.2];
      const policy = make();
      const spec = {
        policy,
        start: [0.1, 0.8],
        horizon: 4,
        step: (s: readonly number[], a: readonly number[]) =>
          s.map((v, i) => Math.min(1, Math.max(0, v + a[i]!))),
        reward: (s: readonly number[]) => -((s[0]! - goal[0]!) ** 2 + (s[1]! - goal[1]!) ** 2),
        ...(v2 ? { normaliser: new StateNormaliser(2) } : {}),
      };
      const before = rollout(spec, new Float64Array(policy.size));
      const theta = ars(
        new Float64Array(policy.size),
        (t) => rollout(spec, t),
        { ...DEFAULT_ARS, iterations: 40 },
        new Rng(4),
      );
      const after = rollout(spec, theta);
      expect(before).toBeLessThan(-0.6);
      expect(after).toBeGreaterThan(before / 3);
    });
});
