import { describe, expect, it } from 'vitest';
import { inferShapes } from '../graph/shapes.js';
import type { Graph } from '../graph/types.js';
import { Rng } from '../tensor/rng.js';
import { mobileNetV2 } from '../zoo/mobilenet-v2.js';
import { refCnn } from '../zoo/ref-cnn.js';
import { countParams } from './count.js';
import { PruneError } from './errors.js';
import { analyzeGroups, prunableGroups } from './groups.js';
import { type KeepMap, prunedParamCount, removeChannels, sliceAxis } from './surgery.js';
import {
  convBnDepthwise,
  convConv,
  convFlattenDense,
  editParam,
  randomize,
  residual,
  run,
  setAt,
  zeroChannel,
} from './test-models.js';

function groupOf(graph: Graph, producer: string): number {
  const a = analyzeGroups(graph);
  return a.groups.find((g) => g.producers.includes(producer))!.id;
}

function prune(graph: Graph, producer: string, keep: number[]): Graph {
  const a = analyzeGroups(graph);
  const pruned = removeChannels(graph, a, new Map([[groupOf(graph, producer), keep]]));
  inferShapes(pruned);
  return pruned;
}

function expectClose(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
}

describe('sliceAxis', () => {
  it('keeps the given indices of one axis', () => {
    const t = { shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) };
    expect(sliceAxis(t, 1, [0, 2])).toEqual({ shape: [2, 2], data: Float32Array.from([0, 2, 3, 5]) });
    expect(sliceAxis(t, 0, [1])).toEqual({ shape: [1, 3], data: Float32Array.from([3, 4, 5]) });
  });
});

describe('removing a channel that contributes nothing leaves the function unchanged', () => {
  it('conv -> conv', () => {
    let g = randomize(convConv());
    g = editParam(g, 'c1.weight', zeroChannel(5, 2));
    g = editParam(g, 'c1.bias', setAt(2, 0));
    expect(countParams(g)).toBe(392);
    const p = prune(g, 'c1', [0, 1, 3, 4]);
    expect(countParams(p)).toBe(319);
    expectClose(run(g), run(p));
  });

  it('conv -> flatten -> dense (NHWC row order)', () => {
    let g = randomize(convFlattenDense());
    g = editParam(g, 'c1.weight', zeroChannel(4, 1));
    g = editParam(g, 'c1.bias', setAt(1, 0));
    expect(countParams(g)).toBe(91);
    const p = prune(g, 'c1', [0, 2, 3]);
    expect(countParams(p)).toBe(69);
    expect(p.params['fc.weight']!.shape).toEqual([12, 3]);
    expectClose(run(g), run(p));
  });

  it('conv -> BN -> relu -> depthwise -> BN -> relu -> pointwise', () => {
    let g = randomize(convBnDepthwise());
    g = editParam(g, 'expand.weight', zeroChannel(6, 3));
    for (const bn of ['bn1', 'bn2']) {
      g = editParam(g, `${bn}.mean`, setAt(3, 0));
      g = editParam(g, `${bn}.beta`, setAt(3, -1));
    }
    expect(countParams(g)).toBe(163);
    const p = prune(g, 'expand', [0, 1, 2, 4, 5]);
    expect(countParams(p)).toBe(139);
    expect(p.params['dw.weight']!.shape).toEqual([3, 3, 5]);
    expect(p.params['bn2.gamma']!.shape).toEqual([5]);
    expectClose(run(g), run(p));
  });

  it('a residual group (both branches of the add lose the same channel)', () => {
    let g = randomize(residual());
    for (const conv of ['a', 'b']) {
      g = editParam(g, `${conv}.weight`, zeroChannel(4, 1));
      g = editParam(g, `${conv}.bias`, setAt(1, 0));
    }
    expect(countParams(g)).toBe(247);
    const p = prune(g, 'a', [0, 2, 3]);
    expect(countParams(p)).toBe(161);
    expect(p.params['b.weight']!.shape).toEqual([3, 3, 3, 3]);
    expectClose(run(g), run(p));
  });

  it('but removing a live channel does change it (the checks above are sensitive)', () => {
    const g = randomize(convFlattenDense());
    const diff = run(g).some((v, i) => Math.abs(v - run(prune(g, 'c1', [0, 2, 3]))[i]!) > 1e-3);
    expect(diff).toBe(true);
  });
});

describe('pruned zoo graphs', () => {
  it('ref-cnn: conv2 filters shrink the dense layer (800 = 5*5*32 inputs)', () => {
    const g = refCnn();
    const a = analyzeGroups(g);
    const keep: KeepMap = new Map([
      [groupOf(g, 'conv1'), [0, 3, 5, 7, 9]],
      [groupOf(g, 'conv2'), [1, 2, 30, 31]],
    ]);
    const p = removeChannels(g, a, keep);
    inferShapes(p);
    // conv1 9*5+5, conv2 9*5*4+4, fc 5*5*4*10+10
    expect(countParams(p)).toBe(50 + 184 + 1010);
    expect(prunedParamCount(g, a, new Map([...keep].map(([k, v]) => [k, v.length])))).toBe(1244);
    expect(p.nodes.find((n) => n.name === 'fc')).toMatchObject({ attrs: { units: 10 } });
  });

  it('mobilenet-v2: random keep sets give valid graphs with the predicted parameter count', () => {
    const g = mobileNetV2({ inputShape: [28, 28, 1], classes: 10 });
    const a = analyzeGroups(g);
    const rng = new Rng(3);
    for (let trial = 0; trial < 3; trial++) {
      const keep = new Map<number, number[]>();
      for (const grp of prunableGroups(a)) {
        const k = 1 + rng.int(grp.channels);
        const idx = rng.shuffle(Int32Array.from({ length: grp.channels }, (_, i) => i)).slice(0, k);
        keep.set(
          grp.id,
          [...idx].sort((x, y) => x - y),
        );
      }
      const p = removeChannels(g, a, keep);
      const shapes = inferShapes(p);
      expect(shapes.get('fc')).toEqual([10]);
      const counts = new Map([...keep].map(([id, v]) => [id, v.length]));
      expect(countParams(p)).toBe(prunedParamCount(g, a, counts));
    }
  });

  it('rejects empty, unsorted and frozen keep lists', () => {
    const g = refCnn();
    const a = analyzeGroups(g);
    const fc = a.groups.find((x) => x.producers.includes('fc'))!.id;
    const c1 = groupOf(g, 'conv1');
    for (const keep of [new Map([[c1, []]]), new Map([[c1, [3, 1]]]), new Map([[fc, [0]]])]) {
      expect(() => removeChannels(g, a, keep)).toThrow(PruneError);
    }
  });
});
