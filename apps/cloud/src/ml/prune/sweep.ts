/** Accuracy vs parameter fraction: one compression per sparsity, each from the original model. */
import type { DataSplit } from '../data/types.js';
import type { Graph } from '../graph/types.js';
import { evaluateGraph } from '../train/trainer.js';
import { type CompressConfig, type CompressData, compressModel } from './pipeline.js';

export interface SweepPoint {
  readonly sparsity: number;
  readonly params: number;
  readonly nonzero: number;
  readonly paramFraction: number;
  readonly nonzeroFraction: number;
  readonly accuracy: number;
  /** accuracy / baseline accuracy. */
  readonly relativeAccuracy: number;
  readonly seconds: number;
}

export async function sweep(
  graph: Graph,
  data: CompressData & { readonly test: DataSplit },
  cfg: Omit<CompressConfig, 'sparsity'>,
  sparsities: readonly number[],
  onPoint?: (p: SweepPoint) => void,
): Promise<{ baseline: number; points: SweepPoint[] }> {
  const baseline = evaluateGraph(graph, data.test).accuracy;
  const points: SweepPoint[] = [];
  for (const sparsity of sparsities) {
    const t0 = performance.now();
    const r = await compressModel(graph, data, { ...cfg, sparsity });
    const last = r.steps.at(-1)!;
    const accuracy = evaluateGraph(r.graph, data.test).accuracy;
    const p: SweepPoint = {
      sparsity,
      params: last.params,
      nonzero: last.nonzero,
      paramFraction: last.paramFraction,
      nonzeroFraction: last.nonzeroFraction,
      accuracy,
      relativeAccuracy: baseline > 0 ? accuracy / baseline : 0,
      seconds: (performance.now() - t0) / 1000,
    };
    points.push(p);
    onPoint?.(p);
  }
  return { baseline, points };
}
