import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../data/index.js';
import { realDataDir } from '../../data/test-fixtures.js';
import type { Dataset, Sample } from '../../data/types.js';
import { profileByName } from '../../plan/index.js';
import { Rng } from '../../tensor/rng.js';
import { constraintsFor, constraintViolation } from '../cost/constraints.js';
import { plannerCost } from '../cost/planned.js';
import { dominates } from '../search/pareto.js';
import { genomeKey } from '../space/genome.js';
import { trainBriefly } from '../train.js';
import { moboNas } from './cli.js';
import { PlannedSpace } from './evaluate.js';
import { type MoboProgress, runMoboArs } from './run.js';

/** 8 x 8 grey images of 3 classes: a bright 3 x 3 blob in one of three places, plus noise. */
function blobs(n: number, seed: number): Dataset['train'] {
  const rng = new Rng(seed);
  const samples: Sample[] = Array.from({ length: n }, (_, i) => {
    const y = i % 3;
    const x = Float32Array.from({ length: 64 }, () => 0.2 * rng.next());
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) x[(1 + r + 2 * y) * 8 + 1 + c + 2 * y] = 1;
    return { x, y };
  });
  return { size: n, get: (i) => ({ x: samples[i]!.x.slice(), y: samples[i]!.y }) };
}

const synthetic: Dataset = {
  name: 'blobs',
  inputShape: [8, 8, 1],
  numClasses: 3,
  classNames: ['a', 'b', 'c'],
  train: blobs(150, 1),
  test: blobs(60, 2),
};

describe('runMoboArs end to end (synthetic data)', () => {
  it('trains only feasible candidates, returns a Pareto front and a same-budget random baseline', async () => {
    const constraints = constraintsFor(profileByName('cortex-m4'), {
      ramBytes: 16 * 1024 + 800,
      maxMacs: 60_000,
    });
    /** Planner constraint excess of every graph handed to the trainer. */
    const trainedExcess: number[] = [];
    const progress: MoboProgress[] = [];
    const r = await runMoboArs({
      data: synthetic,
      constraints,
      budget: 5,
      initial: 2,
      seed: 3,
      training: { epochs: 1, threads: 1, batch: 16 },
      ars: { iterations: 3, directions: 4, top: 2 },
      policies: 2,
      progress: (p) => progress.push(p),
      train: (graph, data, o) => {
        trainedExcess.push(constraintViolation(plannerCost(graph, constraints.profile, true), constraints));
        return trainBriefly(graph, data, o);
      },
    });
    expect(r.evaluated).toHaveLength(5);
    expect(new Set(r.evaluated.map((e) => e.candidate.key)).size).toBe(5);
    expect(r.evaluated.filter((e) => e.source === 'initial')).toHaveLength(2);
    expect(r.iterations).toBeGreaterThanOrEqual(3);
    // the constraints bite: infeasible candidates were met and rejected, none was trained
    expect(r.rejected).toBeGreaterThan(0);
    expect(trainedExcess.length).toBeGreaterThanOrEqual(5);
    expect(trainedExcess.every((v) => v === 0)).toBe(true);
    const check = new PlannedSpace({ inputShape: [8, 8, 1], numClasses: 3, constraints, seed: 3 });
    for (const e of [...r.evaluated, ...(r.baseline?.evaluated ?? [])]) {
      const c = check.plan(e.candidate.genome);
      expect(c.violation).toBe(0);
      expect(c.ramBytes).toBeLessThanOrEqual(constraints.ramBytes);
      expect(c.macs).toBeLessThanOrEqual(constraints.maxMacs);
      expect(e.objectives.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    // front: non-empty, mutually non-dominated, nothing outside it dominates a member
    expect(r.front.length).toBeGreaterThan(0);
    for (const a of r.front)
      for (const b of r.evaluated) expect(dominates(b.objectives, a.objectives)).toBe(false);
    expect(r.hypervolume).toBeGreaterThan(0);
    expect(r.hypervolume).toBeLessThanOrEqual(1);
    expect(r.baseline?.evaluated).toHaveLength(5);
    expect(r.baseline!.hypervolume).toBeGreaterThan(0);
    // progress: one report per training, counting up, both phases
    expect(progress.filter((p) => p.phase === 'mobo').map((p) => p.evaluated)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.filter((p) => p.phase === 'random')).toHaveLength(5);
    expect(progress.at(-1)!.frontSize).toBe(r.baseline!.front.length);
  }, 120_000);
});

describe('runMoboArs budgets', () => {
  it('stops on the time budget after the first training', async () => {
    const r = await runMoboArs({
      data: synthetic,
      constraints: constraintsFor(profileByName('cortex-m4'), { maxMacs: 60_000 }),
      budget: 10,
      seconds: 0,
      seed: 1,
      training: { epochs: 1, threads: 1, limit: 30, testLimit: 30 },
      baseline: false,
    });
    expect(r.evaluated).toHaveLength(1);
    expect(r.front).toHaveLength(1);
    expect(r.baseline).toBeNull();
  });

  it('rejects a budget below two trainings', async () => {
    const constraints = constraintsFor(profileByName('cortex-m4'));
    await expect(
      runMoboArs({ data: synthetic, constraints, budget: 1, seed: 0, training: { epochs: 1, threads: 1 } }),
    ).rejects.toThrow(/budget/);
  });
});

const mnist = realDataDir('mnist');

describe.skipIf(!mnist)(`moboNas on an MNIST subset (${mnist ?? 'absent: skipped'})`, () => {
  it('returns a non-empty front of trained, feasible models', async () => {
    const data = await loadDataset('mnist', { dir: `${mnist}/..` });
    const constraints = constraintsFor(profileByName('cortex-m4'), { maxMacs: 300_000, latencyMs: 20 });
    const lines: string[] = [];
    const r = await moboNas({
      data,
      constraints,
      budget: 3,
      seed: 1,
      threads: 1,
      epochs: 1,
      limit: 300,
      testLimit: 200,
      baseline: false,
      log: (l) => lines.push(l),
    });
    expect(r.evaluated).toBe(3);
    expect(r.selected.length).toBeGreaterThan(0);
    for (const s of r.selected) {
      expect(s.ram_bytes).toBeLessThanOrEqual(constraints.ramBytes);
      expect(s.flash_bytes).toBeLessThanOrEqual(constraints.flashBytes);
      expect(s.latency_ms).toBeLessThanOrEqual(20);
      expect(s.test_accuracy).toBeGreaterThan(0);
      expect(s.key).toBe(genomeKey(s.genome));
    }
    expect(r.baseline).toBeNull();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^nas: 1\/3 trainings: mobo-ars/);
  }, 180_000);
});
