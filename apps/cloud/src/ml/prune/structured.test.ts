import { describe, expect, it } from 'vitest';
import { inferShapes } from '../graph/shapes.js';
import { ARCHITECTURES, buildModel } from '../zoo/index.js';
import { mobileNetV2 } from '../zoo/mobilenet-v2.js';
import { refCnn } from '../zoo/ref-cnn.js';
import { countParams } from './count.js';
import { scoreChannels } from './criteria.js';
import { analyzeGroups, prunableGroups } from './groups.js';
import { chooseChannels, type Scope, topChannels } from './structured.js';
import { removeChannels } from './surgery.js';
import { run } from './test-models.js';

function pruneTo(fraction: number, scope: Scope, mobile = false) {
  const g = mobile ? mobileNetV2({ inputShape: [28, 28, 1], classes: 10 }) : refCnn({ seed: 2 });
  const a = analyzeGroups(g);
  const groups = prunableGroups(a);
  const target = Math.floor(fraction * countParams(g));
  const keep = chooseChannels(g, a, groups, scoreChannels(g, groups, 'l1'), target, scope);
  const p = removeChannels(g, a, keep);
  inferShapes(p);
  return { g, p, keep, target };
}

describe('choosing channels for a parameter target', () => {
  it('topChannels keeps the highest scores, ascending, ties to the lower index', () => {
    expect(topChannels(Float64Array.from([0.3, 0.9, 0.1, 0.9]), 2)).toEqual([1, 3]);
    expect(topChannels(Float64Array.from([0.5, 0.5, 0.5]), 2)).toEqual([0, 1]);
  });

  for (const scope of ['per-layer', 'global'] as const) {
    it(`${scope}: meets the target on ref-cnn and mobilenet-v2`, () => {
      for (const mobile of [false, true]) {
        const { g, p, target } = pruneTo(0.1, scope, mobile);
        expect(countParams(p)).toBeLessThanOrEqual(target);
        expect(countParams(p)).toBeGreaterThan(0.05 * countParams(g));
        expect(inferShapes(p).get('fc')).toEqual([10]);
      }
    });
  }

  it('per-layer removes about the same fraction of every group (give-back adds a few channels)', () => {
    const { keep } = pruneTo(0.25, 'per-layer');
    const [c1, c2] = [...keep.values()].map((k) => k.length);
    expect(Math.abs(c2! / 32 - c1! / 16)).toBeLessThanOrEqual(0.1);
  });

  it('per-layer gives back what rounding leaves: ref-cnn at 10% is 5+4 channels (1,244 of 12,810)', () => {
    // the uniform fraction alone gives 2+4 channels (1,106 params)
    const { p } = pruneTo(0.1, 'per-layer');
    expect(countParams(p)).toBe(1244);
    expect(p.nodes.find((n) => n.name === 'conv2')).toMatchObject({ attrs: { filters: 4 } });
  });

  it('global fills the target too', () => {
    const { p } = pruneTo(0.1, 'global');
    expect(countParams(p)).toBeLessThanOrEqual(1281);
    expect(countParams(p)).toBeGreaterThan(1106);
  });

  it('never empties a layer, even for an unreachable target', () => {
    for (const scope of ['per-layer', 'global'] as const) {
      const { p } = pruneTo(0, scope);
      expect(p.nodes.find((n) => n.name === 'conv1')).toMatchObject({ attrs: { filters: 1 } });
      expect(p.nodes.find((n) => n.name === 'conv2')).toMatchObject({ attrs: { filters: 1 } });
      expect(countParams(p)).toBe(9 + 1 + 9 + 1 + 25 * 10 + 10);
    }
  });

  it('every zoo architecture, on images and series, prunes to a smaller graph that runs', () => {
    for (const arch of Object.keys(ARCHITECTURES)) {
      for (const inputShape of [
        [12, 12, 1],
        [16, 6],
      ]) {
        if (arch === 'ref-cnn' && inputShape.length === 2) continue; // 2-D convs only
        const g = buildModel(arch, { inputShape, classes: 3, width: arch === 'mobilenet-v2' ? 1 : 8 });
        const a = analyzeGroups(g);
        const groups = prunableGroups(a);
        const target = Math.floor(0.5 * countParams(g));
        const keep = chooseChannels(g, a, groups, scoreChannels(g, groups, 'l2'), target, 'global');
        const p = removeChannels(g, a, keep);
        expect(countParams(p), `${arch} ${inputShape}`).toBeLessThanOrEqual(target);
        expect(run(p, 2).length).toBe(6);
      }
    }
  });
});
