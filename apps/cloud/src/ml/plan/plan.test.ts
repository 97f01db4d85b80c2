import { readArtifact, writeArtifact } from '@tinyfleet/protocol/artifact';
import { describe, expect, it } from 'vitest';
import { toArtifactModel, writeQuantizedArtifact } from '../quant/artifact.js';
import { refCnn } from '../zoo/index.js';
import { withPlan } from './artifact.js';
import { floatToArtifactModel, quantizeForPlan } from './from-float.js';
import { planGraphOf } from './graph.js';
import { overlaps } from './liveness.js';
import { planInference } from './memory.js';
import { profileByName } from './profiles.js';
import { planModel } from './report.js';
import { artifactBytes } from './size.js';
import { parseTrainable } from './trainable.js';
import { planTraining, trainScratchBytes } from './training.js';

const ref = floatToArtifactModel(refCnn());
const g = planGraphOf(ref);
// tensor ids of ref-cnn's artifact: 0 input, conv1 1-3 (w, b, relu1), pool1 4, conv2 5-7, pool2 8, flatten 9, fc 10-12
const ids = { input: 0, relu1: 3, pool1: 4, relu2: 7, pool2: 8, flatten: 9, fc: 12 };

describe('ref-cnn plan, by hand (PROTOCOL.md §5.6)', () => {
  it('inference: relu1 10816 @0, relu2 3872 @0, pool1 2704 @10816, pool2 800 @3872, input 784 @10816, fc 10 @0', () => {
    const p = planInference(g);
    const at = (k: keyof typeof ids) => p.offsets.get(ids[k]);
    expect([
      at('relu1'),
      at('relu2'),
      at('pool1'),
      at('pool2'),
      at('flatten'),
      at('input'),
      at('fc'),
    ]).toEqual([0, 0, 10816, 3872, 3872, 10816, 0]);
    expect(p.arenaBytes).toBe(13520);
  });

  it('training last2 (conv2, fc): SAVED pool1/relu2/pool2, ERROR relu2/pool2/fc placed around the forward tensors', () => {
    const t = planTraining(g, planInference(g), parseTrainable('last2', g));
    expect(t.trainableOps).toEqual([2, 5]);
    expect(t.backwardOps).toEqual([5, 3, 2]);
    const ex = t.extras.map((e) => [e.kind, e.ref, e.bytes, e.first, e.last, e.offset]);
    expect(ex).toEqual([
      ['SAVED', ids.pool1, 2704, 1, 10, 13520],
      ['SAVED', ids.relu2, 3872, 2, 10, 4672],
      ['SAVED', ids.pool2, 800, 3, 7, 8544],
      ['ERROR', ids.relu2, 3872, 9, 10, 0],
      ['ERROR', ids.pool2, 800, 7, 9, 3872],
      ['ERROR', ids.fc, 10, 6, 7, 16],
    ]);
    expect(t.arenaBytes).toBe(16224);
    expect(t.ramCopyBytes).toBe(4608 + 128 + 8000 + 48);
    // tf_train_mem.c tf_train_carve, each 16-aligned: acc (fc input 800; pool2 2x2/2 needs no sums) 3200, gint (es
    // 800) 3200, softmax p 10 + scratch 40, fc re-centring means 3200, stats 32 rows x 8, conv2 (N 32,
    // R 32, es 144) 128 + 64 + 128 + 128 + 18432, fc (N 10, R 10, es 800) 40 + 20 + 40 + 40 + 32000
    expect(t.scratchBytes).toBe(60976);
    // at 10%: R 3 and 1; the same up to the means (9664), then stats 24, conv2 128 + 64 + 128 + 12 + 1728,
    // fc 40 + 20 + 40 + 4 + 3200, with the 16-alignment of every buffer start
    expect(trainScratchBytes(g, [2, 5], { lambdaMin: 0.1, lambdaMax: 0.1, batchSize: 1 })).toBe(15104);
    // bs > 1: every structure's gradient row is held (the selection needs the whole batch)
    expect(trainScratchBytes(g, [2, 5], { lambdaMin: 0.1, lambdaMax: 0.1, batchSize: 4 })).toBe(60976);
    // fc alone: no conv2 rows, acc is the logits (nothing above fc propagates)
    expect(trainScratchBytes(g, [5])).toBe(48 + 3200 + 16 + 48 + 3200 + 80 + 48 + 32 + 48 + 48 + 32000);
  });

  it('reports MACs, sizes and fit on cortex-m4', () => {
    const r = planModel(g, profileByName('cortex-m4'), { trainable: [2, 5] });
    expect(r.macs).toBe(26 * 26 * 16 * 9 + 11 * 11 * 32 * 144 + 8000);
    expect(r.backward_macs).toBe(11 * 11 * 32 * 144 + 2 * 8000);
    expect(r.ram_bytes).toBe(13520 + 12784 + 16 * 1024);
    expect(r.train_ram_bytes).toBe(16224 + 12784 + 60976 + 16 * 1024);
    expect(r.fits).toBe(true);
    const tenth = planModel(g, profileByName('cortex-m4'), { trainable: [2, 5], updateRate: 0.1 });
    expect(tenth.backward_macs).toBe(Math.round((3 / 32) * 557568 + 2 * 800));
    expect(tenth.train_latency_ms).toBeLessThan(r.train_latency_ms);
  });
});

describe('sizes and the artifact', () => {
  it('flash bytes equal the written artifact, with and without training', () => {
    expect(artifactBytes(g)).toBe(writeQuantizedArtifact(quantizeForPlan(refCnn())).length);
    const trained = withPlan(ref, [2, 5]);
    const t = planTraining(g, planInference(g), [2, 5]);
    expect(artifactBytes(g, t.extras.length, 2)).toBe(writeArtifact(trained).length);
  });

  it('writes a training plan every reader accepts (§5.10), via toArtifactModel', () => {
    const m = toArtifactModel(quantizeForPlan(refCnn()), { trainable: [2, 5] });
    const parsed = readArtifact(writeArtifact(m));
    expect(parsed.arenaTrainBytes).toBe(16224);
    expect(parsed.ramBytes).toBe(12784);
    expect(parsed.training?.trainableOps).toEqual([2, 5]);
    expect(parsed.tensors.filter((x) => x.flags.includes('SAVED')).map((x) => x.ref)).toEqual([4, 7, 8]);
    expect(parsed.tensors.filter((x) => x.storage === 'RAM_COPY').length).toBe(4);
    // a read artifact plans to the same numbers as its source
    expect(planModel(planGraphOf(parsed), profileByName('cortex-m4'), { trainable: [2, 5] })).toEqual(
      planModel(g, profileByName('cortex-m4'), { trainable: [2, 5] }),
    );
  });

  it('training tensors never overlap a tensor alive at the same time', () => {
    const inf = planInference(g);
    const t = planTraining(g, inf, parseTrainable('all', g));
    const all = [...inf.placed, ...t.extras];
    for (const a of all) {
      for (const b of all) {
        if (a === b || !overlaps(a, b)) continue;
        expect(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset).toBe(true);
      }
    }
  });
});

describe('fits and limits', () => {
  it('names every limit that fails', () => {
    const tiny = { ...profileByName('cortex-m4'), ramBytes: 20 * 1024 };
    expect(planModel(g, tiny).limits).toEqual(['ram']);
    expect(planModel(g, { ...tiny, ramBytes: 44 * 1024 }, { trainable: [2, 5] }).limits).toEqual([
      'train_ram',
    ]);
    const noFlash = { ...tiny, ramBytes: 1 << 20, flashBytes: 128 * 1024 + 8192 };
    expect(planModel(g, noFlash)).toMatchObject({ fits: false, limits: ['flash'] });
  });

  it('rejects bad trainable sets with typed errors', () => {
    expect(() => parseTrainable('1', g)).toThrow(/not a weighted op/);
    expect(() => parseTrainable('lastx', g)).toThrow(/none, all, lastN/);
    expect(parseTrainable('none', g)).toEqual([]);
    expect(parseTrainable('all', g)).toEqual([0, 2, 5]);
    const perChannel = planGraphOf(floatToArtifactModel(refCnn(), { perChannel: true }));
    expect(() => planTraining(perChannel, planInference(perChannel), [5])).toThrow(/per-channel/);
  });
});
