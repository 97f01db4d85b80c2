import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { logitsProducer } from './activation.js';
import { trainedChain } from './model.js';
import { dequantF32, qparamsF32 } from './numerics.js';
import { quadrantSplit, quantized, tinyCnn } from './test-fixtures.js';
import { type FqtConfig, FqtTrainer } from './trainer.js';
import { elementIndex, type LayerParams, updateLayer } from './update.js';

const train = quadrantSplit(400, 1);
const test = quadrantSplit(200, 2);
const q = quantized(tinyCnn(), train);
const LAYERS = [2, 4]; // c2 (conv + fused relu), fc (the logits producer)

function config(rate: number, o: Partial<FqtConfig> = {}): FqtConfig {
  return {
    layers: LAYERS,
    lambdaMin: rate,
    lambdaMax: rate,
    learningRate: 0.02,
    batchSize: 1,
    epsMode: 'LOSS_RATIO',
    emaErrors: 1,
    emaWeights: 0.1,
    update: 'sgd',
    ...o,
  };
}

function accuracy(t: FqtTrainer): number {
  let c = 0;
  for (let i = 0; i < test.size; i++) if (t.predict(test.getRaw(i)) === test.get(i).y) c++;
  return c / test.size;
}

function run(t: FqtTrainer): void {
  for (let i = 0; i < train.size; i++) t.step([{ x: train.getRaw(i), y: train.get(i).y }]);
}

describe('re-centring of the logits producer (PROTOCOL.md §6.6.6 step 2a)', () => {
  it('moves every structure onto a zero mean structure and a zero mean bias', () => {
    const n = 5;
    const es = 6;
    const p: LayerParams = {
      w: Uint8Array.from({ length: n * es }, (_, i) => 100 + ((i * 37) % 90)),
      wq: { scale: 0.01, zeroPoint: 90 },
      bias: Int32Array.from({ length: n }, (_, s) => 3000 + 700 * s),
      range: { lo: -0.9, hi: 1.65 },
    };
    const grad = Float32Array.from({ length: es }, (_, j) => -0.5 - j / 10);
    updateLayer(p, {
      selected: Uint16Array.of(3),
      grad,
      biasGrad: Float32Array.of(-1),
      es,
      index: elementIndex('oi', n, es),
      lr: 0.02,
      rate: 1,
      inputScale: 0.05,
      mode: 'sgd',
      recentre: true,
    });
    for (let j = 0; j < es; j++) {
      let sum = 0;
      for (let s = 0; s < n; s++) sum += dequantF32(p.w[s * es + j]!, p.wq);
      expect(Math.abs(sum / n)).toBeLessThanOrEqual(p.wq.scale); // within one weight step
    }
    const b = [...p.bias].reduce((a, v) => a + v, 0);
    expect(Math.abs(b)).toBeLessThanOrEqual(n); // int32 bias: rounding only
  });

  it('at k = 1 (always the label row) the bias stays balanced and the model learns', () => {
    // N = 4 classes at 25 %: k = 1 row of fc per step, always the label's (PROTOCOL.md §6.6.6 step 2a)
    const t = new FqtTrainer(q, config(0.25));
    const before = accuracy(t);
    run(t);
    const fc = t.params.get(4)!;
    const sx = t.chain.ops.at(-1)!.x.q.scale;
    const biasMean = [...fc.bias].reduce((a, v) => a + v, 0) / fc.bias.length;
    expect(Math.abs(biasMean * sx * fc.wq.scale)).toBeLessThan(1e-3);
    expect(accuracy(t)).toBeGreaterThan(before + 0.3);
  });

  it('is only done for an unfused DENSE / CONV producer of the logits', () => {
    const b = new GraphBuilder('fused', [8, 8, 1], 3);
    let x = b.conv2d(b.input, 4, 3, { padding: 'valid' }, 'c1');
    x = b.relu(x, 'r1');
    x = b.flatten(x, 'fl');
    const fused = quantized(b.build([b.relu(b.dense(x, 4, 'fc'), 'r2')]), train);
    const last = fused.nodes.findIndex((n) => n.name === 'fc');
    expect(logitsProducer(trainedChain(fused, [last]))).toBeNull();
    expect(logitsProducer(trainedChain(q, LAYERS))?.op.index).toBe(4);
  });
});

describe('logits range tracking (PROTOCOL.md §6.6.7, ea)', () => {
  it('the logits take the qparams of the tracked range; ea = 0 keeps the artifact qparams', () => {
    const fixed = new FqtTrainer(q, config(1));
    const tracked = new FqtTrainer(q, config(1, { emaActivations: 0.5 }));
    run(fixed);
    run(tracked);
    const name = q.nodes[4]!.output;
    expect(fixed.currentGraph().values.get(name)!.q).toEqual(q.values.get(name)!.q);
    const qp = tracked.currentGraph().values.get(name)!.q;
    expect(qp).not.toEqual(q.values.get(name)!.q);
    const tr = (tracked as unknown as { tracker: { range: { lo: number; hi: number } } }).tracker;
    expect(qp).toEqual(qparamsF32(tr.range));
    expect(accuracy(tracked)).toBeGreaterThan(0.8);
  });

  it('tracks the logits of an untrained producer too (only c2 trained)', () => {
    const t = new FqtTrainer(q, config(1, { layers: [2], emaActivations: 1 }));
    run(t);
    const name = q.nodes[4]!.output;
    expect(t.currentGraph().values.get(name)!.q).not.toEqual(q.values.get(name)!.q);
  });
});
