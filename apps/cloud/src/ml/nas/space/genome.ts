/**
 * The NAS search space: a typed genome spanning four families of the model zoo.
 *
 * - `plain`: ref-cnn style, `blocks` x (conv k x k + BN + ReLU) per stage, max-pool to downsample;
 * - `ds`: DS-CNN style, depthwise k x k + pointwise 1x1 (each BN + ReLU);
 * - `ir`: MobileNetV2 inverted residuals (1x1 expand by `expansion`, depthwise k x k, linear 1x1
 *   projection, identity residual when the shape is kept), ReLU6;
 * - `res`: ResNet basic blocks (two k x k convs, identity or 1x1 projection shortcut).
 *
 * Every family has a stem conv, 1..4 stages and a head (global average pooling or flatten) + dense.
 * Time-series inputs `[T, C]` have two variants: `temporal` reads them as `[T, 1, C]` and uses
 * k x 1 kernels (true 1-D convolutions over time with C input channels); `spectrogram` reads them as
 * a one-channel image `[T, C, 1]` (as the zoo's DS-CNN does). Images ignore the gene.
 *
 * Each stage also carries the settings of the later compression step: a structured pruning ratio
 * and the quantization granularity of its layers. `decode` builds the unpruned float model.
 */

export const FAMILIES = ['plain', 'ds', 'ir', 'res'] as const;
export type Family = (typeof FAMILIES)[number];

export const CHANNELS = [8, 12, 16, 24, 32, 48, 64] as const;
export const STEM_CHANNELS = [8, 12, 16, 24, 32] as const;
export const KERNELS = [3, 5] as const;
export const STEM_KERNELS = [3, 5] as const;
export const EXPANSIONS = [1, 2, 4, 6] as const;
export const PRUNE_RATIOS = [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75] as const;
export const MAX_BLOCKS = 3;
export const MIN_STAGES = 1;
export const MAX_STAGES = 4;

export type Head = 'gap' | 'flatten';
export type SeriesLayout = 'temporal' | 'spectrogram';
export type QuantGranularity = 'per-channel' | 'per-tensor';

export interface StageGene {
  /** Blocks in the stage, 1..MAX_BLOCKS. */
  readonly blocks: number;
  /** Output channels of every block, one of CHANNELS. */
  readonly channels: number;
  /** Spatial kernel of the stage's k x k (or k x 1) convolutions, one of KERNELS. */
  readonly kernel: number;
  /** Expansion factor of inverted residuals (used by `ir` only), one of EXPANSIONS. */
  readonly expansion: number;
  /** Halve the resolution in this stage (stride 2 in the first block, or a max-pool for `plain`). */
  readonly downsample: boolean;
  /** Fraction of this stage's filters the compression step removes, one of PRUNE_RATIOS. */
  readonly prune: number;
  /** Quantization granularity of this stage's weights in the compression step. */
  readonly quant: QuantGranularity;
}

export interface Genome {
  readonly family: Family;
  readonly stemChannels: number;
  readonly stemKernel: number;
  readonly stemStride: 1 | 2;
  readonly stages: readonly StageGene[];
  readonly head: Head;
  readonly seriesLayout: SeriesLayout;
}

/** A short, stable, human-readable id (also a cache key). */
export function genomeKey(g: Genome): string {
  const stages = g.stages
    .map(
      (s) =>
        `${s.blocks}x${s.channels}k${s.kernel}${g.family === 'ir' ? `e${s.expansion}` : ''}${s.downsample ? 'd' : ''}` +
        `p${Math.round(s.prune * 1000)}${s.quant === 'per-channel' ? 'c' : 't'}`,
    )
    .join('-');
  return `${g.family}:s${g.stemChannels}k${g.stemKernel}/${g.stemStride}:${stages}:${g.head}:${g.seriesLayout}`;
}

function oneOf(v: unknown, allowed: readonly unknown[]): boolean {
  return allowed.includes(v);
}

/** Problems with a genome (empty when valid). */
export function genomeProblems(g: Genome): string[] {
  const p: string[] = [];
  if (!oneOf(g.family, FAMILIES)) p.push(`family ${String(g.family)}`);
  if (!oneOf(g.stemChannels, STEM_CHANNELS)) p.push(`stemChannels ${g.stemChannels}`);
  if (!oneOf(g.stemKernel, STEM_KERNELS)) p.push(`stemKernel ${g.stemKernel}`);
  if (g.stemStride !== 1 && g.stemStride !== 2) p.push(`stemStride ${String(g.stemStride)}`);
  if (g.head !== 'gap' && g.head !== 'flatten') p.push(`head ${String(g.head)}`);
  if (g.seriesLayout !== 'temporal' && g.seriesLayout !== 'spectrogram')
    p.push(`seriesLayout ${String(g.seriesLayout)}`);
  if (g.stages.length < MIN_STAGES || g.stages.length > MAX_STAGES) p.push(`${g.stages.length} stages`);
  g.stages.forEach((s, i) => {
    if (!Number.isInteger(s.blocks) || s.blocks < 1 || s.blocks > MAX_BLOCKS)
      p.push(`stage ${i} blocks ${s.blocks}`);
    if (!oneOf(s.channels, CHANNELS)) p.push(`stage ${i} channels ${s.channels}`);
    if (!oneOf(s.kernel, KERNELS)) p.push(`stage ${i} kernel ${s.kernel}`);
    if (!oneOf(s.expansion, EXPANSIONS)) p.push(`stage ${i} expansion ${s.expansion}`);
    if (!oneOf(s.prune, PRUNE_RATIOS)) p.push(`stage ${i} prune ${s.prune}`);
    if (s.quant !== 'per-channel' && s.quant !== 'per-tensor') p.push(`stage ${i} quant ${String(s.quant)}`);
  });
  return p;
}
