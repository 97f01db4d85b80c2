import { elementIndex, type LayerParams, updateLayer, Xorshift32 } from '@tinyfleet/cloud/fqt';
import { describe, expect, it } from 'vitest';
import { generateNnVectors, nnCases } from './nn.js';
import { decodeTfkv } from './nn-container.js';
import { FQT_KERNEL } from './nn-fqt.js';

describe('FQT kernel vectors nn/fqt-* (PROTOCOL.md §6.6.11)', () => {
  it('cover every FQT kernel kind, each file named fqt-* with an fqt_kernel field', () => {
    const fqt = nnCases().filter((c) => c.name.startsWith('fqt-'));
    const kinds = new Set(fqt.map((c) => c.fields.find((f) => f.name === 'fqt_kernel')!.data[0]));
    for (const k of Object.values(FQT_KERNEL)) expect(kinds.has(k), String(k)).toBe(true);
    for (const c of fqt) for (const f of c.fields) expect(f.name.length).toBeLessThanOrEqual(11);
  });

  it('the stochastic update case recomputes from the file alone', () => {
    const bin = generateNnVectors().find((f) => f.path === 'nn/fqt-update-dense-stochastic.tfkv')!;
    const v = decodeTfkv(bin.bytes);
    const get = (n: string) => v.fields.get(n)!.data;
    const w = Uint8Array.from(get('w') as Uint8Array);
    const trk = get('trk_in');
    const idx = Uint16Array.from(get('idx'));
    const [n, es] = v.fields.get('w')!.shape as number[];
    const p: LayerParams = {
      w,
      wq: { scale: get('w_scale')[0]!, zeroPoint: get('w_zp')[0]! },
      bias: Int32Array.from(get('bias')),
      range: { lo: trk[0]!, hi: trk[1]! },
    };
    const rng = new Xorshift32(get('seed')[0]! >>> 0);
    updateLayer(p, {
      selected: idx,
      grad: get('g') as Float32Array,
      biasGrad: get('gb') as Float32Array,
      es: es!,
      index: elementIndex('oi', n!, es!),
      lr: get('lr')[0]!,
      biasLr: get('lr')[1]!,
      rate: get('rate')[0]!,
      inputScale: get('x_scale')[0]!,
      rng,
    });
    expect([...p.w]).toEqual([...get('y')]);
    expect([...p.bias]).toEqual([...get('bias_out')]);
    expect(p.wq.scale).toBe(get('y_scale')[0]);
    expect(rng.state | 0).toBe(get('rng_state')[0]);
  });
});
