/**
 * A numeric encoding of the NAS genome in [0, 1]^D for the GP and the ARS policies.
 *
 * - family: one-hot block of 4 (decoded by argmax);
 * - ordinal genes (stem channels / kernel / stride, head, stage count, and per stage: blocks, channels,
 *   kernel, expansion, downsample): one coordinate each, split into equal bins (value i of n encodes
 *   as the bin centre (i + 0.5) / n);
 * - series layout: one coordinate, for `[T, C]` inputs only;
 * - inactive genes (stages beyond the count, expansion outside `ir`) encode as 0, so one genome has
 *   one vector. The compression genes (prune, quantization granularity) are pinned: every evaluation
 *   trains and plans the unpruned model (see README.md in this folder).
 *
 * Any point of the box decodes to a valid genome, so ARS can move freely.
 */
import type { Rng } from '../../tensor/rng.js';
import {
  CHANNELS,
  EXPANSIONS,
  FAMILIES,
  type Genome,
  KERNELS,
  MAX_BLOCKS,
  MAX_STAGES,
  MIN_STAGES,
  type QuantGranularity,
  STEM_CHANNELS,
  STEM_KERNELS,
  type StageGene,
} from '../space/genome.js';

const BLOCKS = Array.from({ length: MAX_BLOCKS }, (_, i) => i + 1);
const STAGE_COUNTS = Array.from({ length: MAX_STAGES - MIN_STAGES + 1 }, (_, i) => MIN_STAGES + i);
const STRIDES = [1, 2] as const;
const BOOL = [false, true] as const;
const HEADS = ['gap', 'flatten'] as const;
const LAYOUTS = ['temporal', 'spectrogram'] as const;
const STAGE_DIMS = 5;
const TOP = FAMILIES.length + 5;

export interface Encoding {
  readonly dims: number;
  /** Time-series input (`[T, C]`): the series-layout gene is searched. */
  readonly series: boolean;
  readonly quant: QuantGranularity;
  encode(g: Genome): number[];
  /** The genome of a point (coordinates clipped to [0, 1]); always canonical. */
  decode(x: readonly number[]): Genome;
  /** Pin the compression genes (what `decode(encode(g))` returns). */
  canonical(g: Genome): Genome;
}

function bin<T>(xs: readonly T[], v: number): T {
  const i = Math.min(xs.length - 1, Math.max(0, Math.floor(v * xs.length)));
  return xs[i]!;
}

function centre<T>(xs: readonly T[], v: T): number {
  const i = xs.indexOf(v);
  if (i < 0) throw new RangeError(`value ${String(v)} not in [${xs.join(', ')}]`);
  return (i + 0.5) / xs.length;
}

export function genomeEncoding(inputShape: readonly number[], o: { perChannel?: boolean } = {}): Encoding {
  const series = inputShape.length === 2;
  const quant: QuantGranularity = o.perChannel === false ? 'per-tensor' : 'per-channel';
  const dims = TOP + MAX_STAGES * STAGE_DIMS + (series ? 1 : 0);
  const canonical = (g: Genome): Genome => ({
    ...g,
    seriesLayout: series ? g.seriesLayout : 'temporal',
    stages: g.stages.map((s) => ({ ...s, expansion: g.family === 'ir' ? s.expansion : 1, prune: 0, quant })),
  });
  return {
    dims,
    series,
    quant,
    canonical,
    encode(g) {
      const x = new Array<number>(dims).fill(0);
      x[FAMILIES.indexOf(g.family)] = 1;
      const f = FAMILIES.length;
      x[f] = centre(STEM_CHANNELS, g.stemChannels);
      x[f + 1] = centre(STEM_KERNELS, g.stemKernel);
      x[f + 2] = centre(STRIDES, g.stemStride);
      x[f + 3] = centre(HEADS, g.head);
      x[f + 4] = centre(STAGE_COUNTS, g.stages.length);
      g.stages.forEach((s, i) => {
        const o = TOP + i * STAGE_DIMS;
        x[o] = centre(BLOCKS, s.blocks);
        x[o + 1] = centre(CHANNELS, s.channels);
        x[o + 2] = centre(KERNELS, s.kernel);
        x[o + 3] = g.family === 'ir' ? centre(EXPANSIONS, s.expansion) : 0;
        x[o + 4] = centre(BOOL, s.downsample);
      });
      if (series) x[dims - 1] = centre(LAYOUTS, g.seriesLayout);
      return x;
    },
    decode(x) {
      const v = (i: number): number => Math.min(1, Math.max(0, x[i] ?? 0));
      let fi = 0;
      for (let i = 1; i < FAMILIES.length; i++) if (v(i) > v(fi)) fi = i;
      const family = FAMILIES[fi]!;
      const f = FAMILIES.length;
      const count = bin(STAGE_COUNTS, v(f + 4));
      const stages = Array.from({ length: count }, (_, i): StageGene => {
        const o = TOP + i * STAGE_DIMS;
        return {
          blocks: bin(BLOCKS, v(o)),
          channels: bin(CHANNELS, v(o + 1)),
          kernel: bin(KERNELS, v(o + 2)),
          expansion: family === 'ir' ? bin(EXPANSIONS, v(o + 3)) : 1,
          downsample: bin(BOOL, v(o + 4)),
          prune: 0,
          quant,
        };
      });
      return {
        family,
        stemChannels: bin(STEM_CHANNELS, v(f)),
        stemKernel: bin(STEM_KERNELS, v(f + 1)),
        stemStride: bin(STRIDES, v(f + 2)),
        stages,
        head: bin(HEADS, v(f + 3)),
        seriesLayout: series ? bin(LAYOUTS, v(dims - 1)) : 'temporal',
      };
    },
  };
}

/** n points of a Latin hypercube in [0, 1]^d (one point per stratum and coordinate). */
export function latinHypercube(rng: Rng, n: number, d: number): number[][] {
  const pts = Array.from({ length: n }, () => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    const perm = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < n; i++) pts[i]![j] = (perm[i]! + rng.next()) / n;
  }
  return pts;
}
