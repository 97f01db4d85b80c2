import { describe, expect, it } from 'vitest';
import type { Graph } from '../../graph/types.js';
import { quantizedInput } from '../../quant/evaluate.js';
import { Interpreter } from '../../quant/interpreter.js';
import { outputValue } from '../../quant/kernels.js';
import { postTrainingQuantize } from '../../quant/ptq.js';
import { deriveRequant } from '../../quant/requant.js';
import { allOpsModel, seriesModel, syntheticSplit } from '../../quant/test-models.js';
import { type QGraph, size } from '../../quant/types.js';
import { Rng } from '../../tensor/rng.js';
import { decode } from '../space/decode.js';
import type { Genome, StageGene } from '../space/genome.js';
import { FastInterpreter, out, rqOf } from './fast.js';

function sameEverywhere(q: QGraph, split: ReturnType<typeof syntheticSplit>, n: number): void {
  const ref = new Interpreter(q);
  const fast = new FastInterpreter(q);
  const inV = q.values.get(q.input)!;
  for (let i = 0; i < n; i++) {
    const x = quantizedInput(split, i, inV.q, size(inV.shape));
    const a = ref.runAll(x);
    const b = fast.runAll(x);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(b.get(k), `${q.name} sample ${i} value ${k}`).toEqual(v);
  }
}

const stage = (o: Partial<StageGene> = {}): StageGene => ({
  blocks: 2,
  channels: 12,
  kernel: 3,
  expansion: 2,
  downsample: true,
  prune: 0,
  quant: 'per-channel',
  ...o,
});
const genome = (family: Genome['family'], head: Genome['head']): Genome => ({
  family,
  stemChannels: 8,
  stemKernel: 5,
  stemStride: 1,
  stages: [stage(), stage({ channels: 16, kernel: 5, downsample: false })],
  head,
  seriesLayout: 'temporal',
});

describe('fast integer interpreter', () => {
  it('requantizes like the reference for every shift, sign and saturation', () => {
    const rng = new Rng(9);
    const clamp = { actMin: 0, actMax: 255 };
    // scale ratios from 2^-34 (right shift 31 and beyond) to 2^8 (left shifts, saturation)
    for (let e = -34; e <= 8; e++) {
      const ratio = 2 ** e * (1 + rng.next());
      const ref = deriveRequant(1, ratio, 1);
      const fast = rqOf(1, ratio, 1);
      for (let i = 0; i < 200; i++) {
        const acc = Math.round((rng.next() * 2 - 1) * 2 ** (1 + Math.floor(rng.next() * 31)));
        const zero = Math.floor(rng.next() * 256);
        expect(out(acc, fast, zero, 0, 255)).toBe(outputValue(acc, ref, zero, clamp));
      }
    }
  });

  const cases: [string, Graph, readonly number[]][] = [
    ['all ops', allOpsModel(), [8, 8, 3]],
    ['conv1d', seriesModel(), [16, 2]],
    ...(['plain', 'ds', 'ir', 'res'] as const).map((f): [string, Graph, readonly number[]] => [
      f,
      decode(genome(f, f === 'ir' ? 'flatten' : 'gap'), [12, 12, 1], 10, { seed: 3 }),
      [12, 12, 1],
    ]),
  ];
  for (const [name, g, shape] of cases)
    for (const perChannel of [false, true])
      it(`${name}, ${perChannel ? 'per-channel' : 'per-tensor'}: every value equals the reference interpreter's`, () => {
        const split = syntheticSplit(shape, 24, 5);
        sameEverywhere(postTrainingQuantize(g, split, { samples: 24, perChannel }), split, 24);
      });
});
