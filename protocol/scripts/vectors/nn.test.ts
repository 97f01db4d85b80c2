import { deriveRequant, kernels } from '@tinyfleet/cloud/quant';
import { describe, expect, it } from 'vitest';
import { generateNnVectors, nnCases } from './nn.js';
import { decodeTfkv } from './nn-container.js';

describe('kernel vectors nn/ (PROTOCOL.md §6, §7)', () => {
  it('are deterministic: two generations are byte-identical', () => {
    const a = generateNnVectors();
    const b = generateNnVectors();
    expect(a.map((f) => f.path)).toEqual(b.map((f) => f.path));
    a.forEach((f, i) => {
      expect(Buffer.from(f.bytes).equals(Buffer.from(b[i]!.bytes)), f.path).toBe(true);
    });
  });

  it('cover every forward op kind and the requantization edge cases, under 1 MB', () => {
    const ops = new Set<string>(nnCases().map((c) => c.op ?? 'REQUANT'));
    for (const op of [
      'CONV2D',
      'DEPTHWISE_CONV2D',
      'CONV1D',
      'DENSE',
      'RELU',
      'RELU6',
      'MAXPOOL2D',
      'AVGPOOL2D',
      'GLOBAL_AVGPOOL',
      'ADD',
      'CONCAT',
      'RESHAPE',
      'SOFTMAX',
      'REQUANT',
    ]) {
      expect(ops.has(op), op).toBe(true);
    }
    expect(generateNnVectors().reduce((s, f) => s + f.bytes.length, 0)).toBeLessThan(1 << 20);
  });

  it('a .tfkv file decodes to its fields, and a dense case recomputes from the file alone', () => {
    const files = generateNnVectors();
    const bin = files.find((f) => f.path === 'nn/dense-int8-per-channel.tfkv')!;
    const v = decodeTfkv(bin.bytes);
    expect(v.opKind).toBe(4);
    const get = (n: string) => v.fields.get(n)!.data;
    const wScale = [...get('w_scale')];
    const requant = wScale.map((s) => deriveRequant(get('x_scale')[0]!, s, get('y_scale')[0]!));
    expect(requant.map((r) => r.multiplier)).toEqual([...get('mult')]);
    expect(requant.map((r) => r.shift)).toEqual([...get('shift')]);
    const y = new Uint8Array(10);
    kernels.dense(
      32,
      10,
      {
        x: get('x') as Uint8Array,
        xZero: get('x_zp')[0]!,
        w: get('w') as Int8Array,
        wZero: get('w_zp') as Int32Array,
        bias: get('bias') as Int32Array,
        requant,
        yZero: get('y_zp')[0]!,
        clamp: { actMin: get('act_min')[0]!, actMax: get('act_max')[0]! },
      },
      y,
    );
    expect([...y]).toEqual([...get('y')]);
  });
});
