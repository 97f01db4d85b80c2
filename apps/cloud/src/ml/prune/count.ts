/** Parameter counting over the tensors the nodes reference (BatchNorm running statistics included). */
import type { Graph, Tensor } from '../graph/types.js';

function referenced(graph: Graph): Tensor[] {
  const seen = new Set<string>();
  const out: Tensor[] = [];
  for (const node of graph.nodes) {
    for (const key of Object.values(node.params)) {
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      out.push(graph.params[key]!);
    }
  }
  return out;
}

/** Total parameters (what a deployment stores). */
export function countParams(graph: Graph): number {
  let n = 0;
  for (const t of referenced(graph)) n += t.data.length;
  return n;
}

/** Parameters that are not exactly zero (what element-wise pruning leaves). */
export function countNonzero(graph: Graph): number {
  let n = 0;
  for (const t of referenced(graph)) for (const v of t.data) if (v !== 0) n++;
  return n;
}
