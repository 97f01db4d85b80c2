/**
 * Deployment rewrite: fold every inference-mode BatchNorm into the conv / depthwise / conv1d / dense
 * node feeding it (when that node feeds nothing else). All these weights keep the output channel on
 * the last axis, so  w' = w · s,  b' = (b − mean) · s + beta  with  s = gamma / sqrt(var + eps).
 */
import type { Graph, Node, Tensor } from './types.js';

const FOLDABLE: ReadonlySet<string> = new Set(['conv2d', 'depthwiseConv2d', 'conv1d', 'dense']);

export function foldBatchNorm(graph: Graph): Graph {
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) consumers.set(o, (consumers.get(o) ?? 0) + 1);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const params: Record<string, Tensor> = { ...graph.params };
  const rename = new Map<string, string>();
  const replaced = new Map<string, Node>();
  const dropped = new Set<string>();

  for (const bn of graph.nodes) {
    if (bn.op !== 'batchNorm') continue;
    const prev = byName.get(bn.inputs[0]!);
    if (!prev || !FOLDABLE.has(prev.op) || consumers.get(prev.name) !== 1) continue;
    const gamma = graph.params[bn.params.gamma]!.data;
    const beta = graph.params[bn.params.beta]!.data;
    const mean = graph.params[bn.params.mean]!.data;
    const variance = graph.params[bn.params.variance]!.data;
    const c = gamma.length;
    const w = params[prev.params.weight!]!;
    const wd = new Float32Array(w.data.length);
    const scale = new Float32Array(c);
    for (let ch = 0; ch < c; ch++) scale[ch] = gamma[ch]! / Math.sqrt(variance[ch]! + bn.attrs.epsilon);
    for (let i = 0; i < wd.length; i++) wd[i] = w.data[i]! * scale[i % c]!;
    const oldBias = prev.params.bias ? params[prev.params.bias]!.data : new Float32Array(c);
    const bias = new Float32Array(c);
    for (let ch = 0; ch < c; ch++) bias[ch] = (oldBias[ch]! - mean[ch]!) * scale[ch]! + beta[ch]!;
    const biasKey = prev.params.bias ?? `${prev.name}.bias`;
    params[prev.params.weight!] = { shape: w.shape, data: wd };
    params[biasKey] = { shape: [c], data: bias };
    for (const role of ['gamma', 'beta', 'mean', 'variance'] as const) delete params[bn.params[role]];
    replaced.set(prev.name, { ...prev, params: { ...prev.params, bias: biasKey } } as Node);
    rename.set(bn.name, prev.name);
    dropped.add(bn.name);
  }
  const ref = (v: string): string => rename.get(v) ?? v;
  const nodes = graph.nodes
    .filter((n) => !dropped.has(n.name))
    .map((n) => {
      const base = replaced.get(n.name) ?? n;
      return { ...base, inputs: base.inputs.map(ref) } as Node;
    });
  return { ...graph, nodes, outputs: graph.outputs.map(ref), params };
}
