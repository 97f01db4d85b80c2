/** Genome -> float graph (the unpruned model; pruning and quantization genes are for compression). */
import type { Graph } from '../../graph/types.js';
import { NasError } from '../errors.js';
import { type Genome, genomeProblems, type StageGene } from './genome.js';
import { SpaceBuilder } from './layers.js';

export interface DecodeOptions {
  /** Weight init seed (0). */
  readonly seed?: number;
}

function plainStage(sb: SpaceBuilder, x: string, s: StageGene): string {
  let y = x;
  for (let i = 0; i < s.blocks; i++) y = sb.convBnAct(y, s.channels, s.kernel, 1);
  return s.downsample ? sb.maxPool(y) : y;
}

function dsStage(sb: SpaceBuilder, x: string, s: StageGene): string {
  let y = x;
  for (let i = 0; i < s.blocks; i++) {
    const stride = i === 0 && s.downsample ? 2 : 1;
    y = sb.act(sb.bn(sb.depthwise(y, s.kernel, stride)), false);
    y = sb.convBnAct(y, s.channels, 1, 1);
  }
  return y;
}

function irStage(sb: SpaceBuilder, x: string, s: StageGene): string {
  let y = x;
  for (let i = 0; i < s.blocks; i++) {
    const stride = i === 0 && s.downsample ? 2 : 1;
    const cin = sb.channels(y);
    let z = y;
    if (s.expansion > 1) z = sb.convBnAct(z, cin * s.expansion, 1, 1, true);
    z = sb.act(sb.bn(sb.depthwise(z, s.kernel, stride)), true);
    z = sb.bn(sb.conv(z, s.channels, 1, 1, 'project'));
    const keep = sb.b.shape(z).every((d, j) => d === sb.b.shape(y)[j]);
    y = keep ? sb.add(y, z) : z;
  }
  return y;
}

function resStage(sb: SpaceBuilder, x: string, s: StageGene): string {
  let y = x;
  for (let i = 0; i < s.blocks; i++) {
    const stride = i === 0 && s.downsample ? 2 : 1;
    let z = sb.convBnAct(y, s.channels, s.kernel, stride);
    z = sb.bn(sb.conv(z, s.channels, s.kernel, 1));
    const keep = sb.b.shape(z).every((d, j) => d === sb.b.shape(y)[j]);
    const shortcut = keep ? y : sb.bn(sb.conv(y, s.channels, 1, stride, 'proj'));
    y = sb.act(sb.add(shortcut, z), false);
  }
  return y;
}

const STAGES = { plain: plainStage, ds: dsStage, ir: irStage, res: resStage } as const;

/**
 * Build the model a genome describes for `inputShape` (`[H, W, C]` or `[T, C]`) and `numClasses`.
 * Always yields a graph that passes shape inference for inputs of at least 1 x 1.
 */
export function decode(
  g: Genome,
  inputShape: readonly number[],
  numClasses: number,
  o: DecodeOptions = {},
): Graph {
  const problems = genomeProblems(g);
  if (problems.length > 0) throw new NasError('BAD_GENOME', `invalid genome: ${problems.join('; ')}`);
  if (inputShape.length !== 2 && inputShape.length !== 3)
    throw new NasError(
      'INPUT_MISMATCH',
      `input shape must be [H, W, C] or [T, C], got [${inputShape.join(', ')}]`,
    );
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new NasError('INPUT_MISMATCH', `need >= 2 classes, got ${numClasses}`);
  const sb = new SpaceBuilder(`nas-${g.family}`, inputShape, o.seed ?? 0);
  let x = sb.b.input;
  if (inputShape.length === 2) {
    const [t, c] = inputShape as [number, number];
    x = sb.b.reshape(x, g.seriesLayout === 'temporal' ? [t, 1, c] : [t, c, 1], 'to_image');
  }
  sb.scope = 'stem_';
  x = sb.convBnAct(x, g.stemChannels, g.stemKernel, g.stemStride, g.family === 'ir');
  g.stages.forEach((s, i) => {
    sb.scope = `s${i}_`;
    x = STAGES[g.family](sb, x, s);
  });
  x = g.head === 'gap' ? sb.b.globalAvgPool(x, 'gap') : sb.b.flatten(x, 'flatten');
  return sb.b.build([sb.b.dense(x, numClasses, 'fc')]);
}

/** The stage index a decoded node belongs to (null for the stem, the head and the input). */
export function stageOfNode(name: string): number | null {
  const m = /^s(\d+)_/.exec(name);
  return m ? Number(m[1]) : null;
}
