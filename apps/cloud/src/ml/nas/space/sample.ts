/** Seeded random sampling, mutation and crossover of genomes (all deterministic for a given Rng). */
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
  PRUNE_RATIOS,
  STEM_CHANNELS,
  STEM_KERNELS,
  type StageGene,
} from './genome.js';

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

export function randomStage(rng: Rng, index: number): StageGene {
  return {
    blocks: 1 + rng.int(MAX_BLOCKS),
    channels: pick(rng, CHANNELS),
    kernel: pick(rng, KERNELS),
    expansion: pick(rng, EXPANSIONS),
    // early stages downsample more often: resolution is what costs RAM
    downsample: rng.next() < (index < 2 ? 0.8 : 0.5),
    prune: pick(rng, PRUNE_RATIOS),
    quant: rng.next() < 0.5 ? 'per-channel' : 'per-tensor',
  };
}

export function randomGenome(rng: Rng): Genome {
  const n = MIN_STAGES + rng.int(MAX_STAGES - MIN_STAGES + 1);
  return {
    family: pick(rng, FAMILIES),
    stemChannels: pick(rng, STEM_CHANNELS),
    stemKernel: pick(rng, STEM_KERNELS),
    stemStride: rng.next() < 0.5 ? 1 : 2,
    stages: Array.from({ length: n }, (_, i) => randomStage(rng, i)),
    head: rng.next() < 0.75 ? 'gap' : 'flatten',
    seriesLayout: rng.next() < 0.5 ? 'temporal' : 'spectrogram',
  };
}

/** Move to a neighbouring entry of a choice list (small steps keep mutation local). */
function step<T>(rng: Rng, xs: readonly T[], v: T): T {
  const i = xs.indexOf(v);
  if (i < 0) return pick(rng, xs);
  const j = Math.max(0, Math.min(xs.length - 1, i + (rng.next() < 0.5 ? -1 : 1)));
  return xs[j === i ? (i === 0 ? 1 : i - 1) : j] ?? v;
}

function mutateStage(rng: Rng, s: StageGene): StageGene {
  switch (rng.int(7)) {
    case 0:
      return { ...s, blocks: step(rng, [1, 2, 3], s.blocks) };
    case 1:
      return { ...s, channels: step(rng, CHANNELS, s.channels) };
    case 2:
      return { ...s, kernel: step(rng, KERNELS, s.kernel) };
    case 3:
      return { ...s, expansion: step(rng, EXPANSIONS, s.expansion) };
    case 4:
      return { ...s, downsample: !s.downsample };
    case 5:
      return { ...s, prune: step(rng, PRUNE_RATIOS, s.prune) };
    default:
      return { ...s, quant: s.quant === 'per-channel' ? 'per-tensor' : 'per-channel' };
  }
}

/** One random local change: a top-level gene, a stage gene, or adding / removing a stage. */
export function mutate(rng: Rng, g: Genome): Genome {
  const r = rng.int(10);
  if (r === 0)
    return {
      ...g,
      family: pick(
        rng,
        FAMILIES.filter((f) => f !== g.family),
      ),
    };
  if (r === 1) return { ...g, stemChannels: step(rng, STEM_CHANNELS, g.stemChannels) };
  if (r === 2)
    return rng.next() < 0.5
      ? { ...g, stemKernel: step(rng, STEM_KERNELS, g.stemKernel) }
      : { ...g, stemStride: g.stemStride === 1 ? 2 : 1 };
  if (r === 3)
    return rng.next() < 0.5
      ? { ...g, head: g.head === 'gap' ? 'flatten' : 'gap' }
      : { ...g, seriesLayout: g.seriesLayout === 'temporal' ? 'spectrogram' : 'temporal' };
  if (r === 4) {
    const stages = [...g.stages];
    if (stages.length < MAX_STAGES && (stages.length <= MIN_STAGES || rng.next() < 0.5)) {
      stages.splice(rng.int(stages.length + 1), 0, randomStage(rng, stages.length));
    } else if (stages.length > MIN_STAGES) {
      stages.splice(rng.int(stages.length), 1);
    }
    return { ...g, stages };
  }
  const i = rng.int(g.stages.length);
  return { ...g, stages: g.stages.map((s, j) => (j === i ? mutateStage(rng, s) : s)) };
}

/** Uniform crossover of the top-level genes, one-point crossover of the stage lists. */
export function crossover(rng: Rng, a: Genome, b: Genome): Genome {
  const u = <T>(x: T, y: T): T => (rng.next() < 0.5 ? x : y);
  const ca = 1 + rng.int(a.stages.length);
  const cb = rng.int(b.stages.length + 1);
  let stages = [...a.stages.slice(0, ca), ...b.stages.slice(cb)];
  if (stages.length > MAX_STAGES) stages = stages.slice(0, MAX_STAGES);
  return {
    family: u(a.family, b.family),
    stemChannels: u(a.stemChannels, b.stemChannels),
    stemKernel: u(a.stemKernel, b.stemKernel),
    stemStride: u(a.stemStride, b.stemStride),
    stages,
    head: u(a.head, b.head),
    seriesLayout: u(a.seriesLayout, b.seriesLayout),
  };
}
