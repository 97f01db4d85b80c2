import { describe, expect, it } from 'vitest';
import { Plan } from '../engine/plan.js';
import { inferShapes } from '../graph/shapes.js';
import { softmaxCrossEntropy } from '../train/loss.js';
import { ARCHITECTURES, buildModel } from './index.js';

describe('model zoo', () => {
  it('ref-cnn is exactly the reference model', () => {
    const g = buildModel('ref-cnn', { inputShape: [28, 28, 1], classes: 10 });
    expect(g.nodes.map((n) => n.op)).toEqual([
      'conv2d',
      'relu',
      'maxPool',
      'conv2d',
      'relu',
      'maxPool',
      'flatten',
      'dense',
    ]);
    expect(g.params['conv1.weight']!.shape).toEqual([3, 3, 1, 16]);
    expect(g.params['conv2.weight']!.shape).toEqual([3, 3, 16, 32]);
    expect(g.params['fc.weight']!.shape).toEqual([800, 10]);
    const convs = g.nodes.filter((n) => n.op === 'conv2d');
    expect(convs.every((n) => n.op === 'conv2d' && n.attrs.padding === 'valid')).toBe(true);
  });

  for (const arch of Object.keys(ARCHITECTURES)) {
    for (const inputShape of arch === 'ref-cnn'
      ? [[28, 28, 1]]
      : [
          [28, 28, 1],
          [32, 13],
        ]) {
      it(`${arch} on [${inputShape.join(', ')}] trains a step; width and depth scale it`, () => {
        const small = buildModel(arch, {
          inputShape,
          classes: 4,
          width: arch === 'mobilenet-v2' ? 0.5 : 8,
          depth: 1,
        });
        const big = buildModel(arch, {
          inputShape,
          classes: 4,
          width: arch === 'mobilenet-v2' ? 1 : 16,
          depth: 2,
        });
        const count = (g: typeof small): number =>
          Object.values(g.params).reduce((s, t) => s + t.data.length, 0);
        expect(count(big)).toBeGreaterThan(count(small));
        expect(inferShapes(small).get(small.outputs[0]!)).toEqual([4]);
        const plan = new Plan(small, { batch: 2, training: true });
        const x = plan.act(plan.inputName).f32;
        for (let i = 0; i < x.length; i++) x[i] = Math.sin(i);
        plan.forward(2, true);
        const r = softmaxCrossEntropy(plan.act(plan.logits).f32, [1, 3], 2, 4, plan.grad(plan.logits)!.f32);
        expect(Number.isFinite(r.loss)).toBe(true);
        plan.backward(2);
        expect(plan.grads.f32.some((v) => v !== 0)).toBe(true);
        expect(plan.grads.f32.every((v) => Number.isFinite(v))).toBe(true);
      });
    }
  }

  it('rejects unknown architectures', () => {
    expect(() => buildModel('lenet', { inputShape: [28, 28, 1], classes: 10 })).toThrow(
      /unknown architecture "lenet"/,
    );
  });
});
