/** Graph-level rewrites the proxies need (the engine is used as is). */
import type { Graph, Node, Tensor } from '../../graph/types.js';

export const PROBE = '__nas_probe';

function renameInputs(nodes: readonly Node[], from: string, to: string): Node[] {
  return nodes.map((n) =>
    n.inputs.includes(from) ? ({ ...n, inputs: n.inputs.map((i) => (i === from ? to : i)) } as Node) : n,
  );
}

/**
 * Insert an identity layer (1x1 conv / dense with an identity weight) right after the input, so the
 * plan keeps the gradient w.r.t. the input (the engine keeps no gradient for graph inputs): after a
 * backward pass, `plan.grad(PROBE)` is dOutput/dInput. The probe's weight is named `PROBE.weight`.
 */
export function withInputProbe(graph: Graph): Graph {
  const input = graph.inputs[0]!;
  const shape = input.shape;
  const c = shape[shape.length - 1]!;
  const eye = new Float32Array(c * c);
  for (let i = 0; i < c; i++) eye[i * c + i] = 1;
  const key = `${PROBE}.weight`;
  let node: Node;
  let weight: Tensor;
  if (shape.length === 3) {
    weight = { shape: [1, 1, c, c], data: eye };
    node = {
      name: PROBE,
      op: 'conv2d',
      inputs: [input.name],
      attrs: { filters: c, kernel: [1, 1], strides: [1, 1], dilation: [1, 1], padding: 'valid' },
      params: { weight: key },
    };
  } else if (shape.length === 2) {
    weight = { shape: [1, c, c], data: eye };
    node = {
      name: PROBE,
      op: 'conv1d',
      inputs: [input.name],
      attrs: { filters: c, kernel: [1], strides: [1], dilation: [1], padding: 'valid' },
      params: { weight: key },
    };
  } else {
    weight = { shape: [c, c], data: eye };
    node = { name: PROBE, op: 'dense', inputs: [input.name], attrs: { units: c }, params: { weight: key } };
  }
  return {
    ...graph,
    nodes: [node, ...renameInputs(graph.nodes, input.name, PROBE)],
    params: { ...graph.params, [key]: weight },
  };
}

/** Drop every batchNorm node (consumers read its input instead), as SynFlow is computed without BN. */
export function withoutBatchNorm(graph: Graph): Graph {
  let nodes: Node[] = [...graph.nodes];
  let outputs = [...graph.outputs];
  for (const bn of graph.nodes) {
    if (bn.op !== 'batchNorm') continue;
    const src = bn.inputs[0]!;
    nodes = renameInputs(
      nodes.filter((n) => n.name !== bn.name),
      bn.name,
      src,
    );
    outputs = outputs.map((o) => (o === bn.name ? src : o));
  }
  const used = new Set(
    nodes.flatMap((n) => Object.values(n.params).filter((k): k is string => k !== undefined)),
  );
  const params: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(graph.params)) if (used.has(k)) params[k] = t;
  return { ...graph, nodes, outputs, params };
}

/** Set every batchNorm's momentum (1: the running statistics become those of the last batch). */
export function withBatchNormMomentum(graph: Graph, momentum: number): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((n) => (n.op === 'batchNorm' ? { ...n, attrs: { ...n.attrs, momentum } } : n)),
  };
}
