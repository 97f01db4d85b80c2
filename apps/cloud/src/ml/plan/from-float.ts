/**
 * Planning a float model (.tfmodel) without data: quantize it the way PTQ would (BN folded, ReLU fused,
 * uint8 activations, uint8 per-tensor or int8 per-channel weights, int32 bias) with a placeholder range
 * of [-1, 1] for every activation. Sizes, shapes and op schedule equal those of the calibrated model;
 * only the (irrelevant here) scales differ.
 */
import type { ArtifactModel } from '@tinyfleet/protocol/artifact';
import type { Graph } from '../graph/types.js';
import { toArtifactModel } from '../quant/artifact.js';
import type { Range } from '../quant/calibrate.js';
import { prepareFloatGraph, quantizeGraph } from '../quant/ptq.js';
import type { QGraph } from '../quant/types.js';

const PLACEHOLDER: Range = { min: -1, max: 1 };

export function quantizeForPlan(graph: Graph, o: { perChannel?: boolean } = {}): QGraph {
  const g = prepareFloatGraph(graph);
  const names = [...g.inputs.map((i) => i.name), ...g.nodes.map((n) => n.name)];
  const ranges = new Map<string, Range>(names.map((n) => [n, PLACEHOLDER]));
  return quantizeGraph(g, ranges, { perChannel: o.perChannel === true });
}

export function floatToArtifactModel(graph: Graph, o: { perChannel?: boolean } = {}): ArtifactModel {
  return toArtifactModel(quantizeForPlan(graph, o));
}
