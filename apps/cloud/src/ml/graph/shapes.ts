/** Shape inference: validates a graph and returns the shape (without batch) of every value. */
import { GraphError } from './errors.js';
import {
  type ConvAttrs,
  type Graph,
  type Node,
  OP_TYPES,
  type Padding,
  type Shape,
  shapeSize,
} from './types.js';

/** Output length of a windowed op along one axis. */
export function outLength(
  inLen: number,
  k: number,
  stride: number,
  dilation: number,
  padding: Padding,
): number {
  const span = (k - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(inLen / stride) : Math.floor((inLen - span) / stride) + 1;
}

/** Padding before the first element along one axis (TF/Keras "same": the extra pad goes after). */
export function padBefore(
  inLen: number,
  k: number,
  stride: number,
  dilation: number,
  padding: Padding,
): number {
  if (padding === 'valid') return 0;
  const out = Math.ceil(inLen / stride);
  const span = (k - 1) * dilation + 1;
  const total = Math.max(0, (out - 1) * stride + span - inLen);
  return Math.floor(total / 2);
}

function positiveInts(node: Node, key: string, v: readonly number[] | undefined, len: number): void {
  if (!v || v.length !== len || v.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new GraphError(
      'BAD_ATTR',
      `attr ${key} must be ${len} positive integer(s), got ${JSON.stringify(v)}`,
      node.name,
    );
  }
}

function expectRank(node: Node, shape: Shape, ranks: readonly number[]): void {
  if (!ranks.includes(shape.length)) {
    throw new GraphError(
      'SHAPE_MISMATCH',
      `${node.op} expects an input of rank ${ranks.join(' or ')}`,
      node.name,
      [shape],
    );
  }
}

/** Spatial output of a windowed op over `[H, W, C]` (2-D) or `[T, C]` (1-D). */
function windowed(node: Node, x: Shape, a: ConvAttrs, dims: number): number[] {
  positiveInts(node, 'kernel', a.kernel, dims);
  positiveInts(node, 'strides', a.strides, dims);
  positiveInts(node, 'dilation', a.dilation, dims);
  if (a.padding !== 'same' && a.padding !== 'valid') {
    throw new GraphError(
      'BAD_ATTR',
      `padding must be "same" or "valid", got ${JSON.stringify(a.padding)}`,
      node.name,
    );
  }
  const out: number[] = [];
  for (let d = 0; d < dims; d++) {
    const o = outLength(x[d]!, a.kernel[d]!, a.strides[d]!, a.dilation[d]!, a.padding);
    if (o < 1) {
      throw new GraphError(
        'SHAPE_MISMATCH',
        `kernel ${a.kernel.join('x')} (dilation ${a.dilation.join('x')}) does not fit the input with "valid" padding`,
        node.name,
        [x],
      );
    }
    out.push(o);
  }
  return out;
}

function param(params: Graph['params'], node: Node, role: string, expected: Shape, optional = false): void {
  const key = node.params[role];
  if (key === undefined) {
    if (optional) return;
    throw new GraphError('MISSING_PARAM', `missing parameter role "${role}"`, node.name);
  }
  const t = params[key];
  if (!t)
    throw new GraphError(
      'MISSING_PARAM',
      `parameter "${key}" (role ${role}) is not in graph.params`,
      node.name,
    );
  const want = expected;
  if (
    t.shape.length !== want.length ||
    t.shape.some((d, i) => d !== want[i]) ||
    t.data.length !== shapeSize(t.shape)
  ) {
    throw new GraphError(
      'PARAM_SHAPE',
      `parameter "${key}" has the wrong shape, expected [${want.join(', ')}]`,
      node.name,
      [t.shape],
    );
  }
}

/** Output shape of one node given its input shapes; checks attrs and parameter shapes. */
export function inferNodeShape(params: Graph['params'], node: Node, ins: readonly Shape[]): Shape {
  const x = ins[0]!;
  switch (node.op) {
    case 'conv2d': {
      expectRank(node, x, [3]);
      const [oh, ow] = windowed(node, x, node.attrs, 2);
      param(params, node, 'weight', [
        node.attrs.kernel[0]!,
        node.attrs.kernel[1]!,
        x[2]!,
        node.attrs.filters,
      ]);
      param(params, node, 'bias', [node.attrs.filters], true);
      return [oh!, ow!, node.attrs.filters];
    }
    case 'conv1d': {
      expectRank(node, x, [2]);
      const [ot] = windowed(node, x, node.attrs, 1);
      param(params, node, 'weight', [node.attrs.kernel[0]!, x[1]!, node.attrs.filters]);
      param(params, node, 'bias', [node.attrs.filters], true);
      return [ot!, node.attrs.filters];
    }
    case 'depthwiseConv2d': {
      expectRank(node, x, [3]);
      const [oh, ow] = windowed(node, x, node.attrs, 2);
      param(params, node, 'weight', [node.attrs.kernel[0]!, node.attrs.kernel[1]!, x[2]!]);
      param(params, node, 'bias', [x[2]!], true);
      return [oh!, ow!, x[2]!];
    }
    case 'dense': {
      if (x.length !== 1) {
        throw new GraphError(
          'SHAPE_MISMATCH',
          'dense expects a rank-1 input (insert a flatten node)',
          node.name,
          [x],
        );
      }
      param(params, node, 'weight', [x[0]!, node.attrs.units]);
      param(params, node, 'bias', [node.attrs.units], true);
      return [node.attrs.units];
    }
    case 'batchNorm': {
      const c = x[x.length - 1]!;
      for (const role of ['gamma', 'beta', 'mean', 'variance']) param(params, node, role, [c]);
      return x;
    }
    case 'maxPool':
    case 'avgPool': {
      expectRank(node, x, [2, 3]);
      const dims = x.length - 1;
      const sp = windowed(node, x, { ...node.attrs, dilation: new Array<number>(dims).fill(1) }, dims);
      return [...sp, x[dims]!];
    }
    case 'globalAvgPool':
      expectRank(node, x, [2, 3]);
      return [x[x.length - 1]!];
    case 'add':
      if (ins.length < 2) throw new GraphError('BAD_ATTR', 'add needs at least two inputs', node.name);
      for (const s of ins) {
        if (s.length !== x.length || s.some((d, i) => d !== x[i])) {
          throw new GraphError('SHAPE_MISMATCH', 'add inputs must have identical shapes', node.name, ins);
        }
      }
      return x;
    case 'concat': {
      if (ins.length < 2) throw new GraphError('BAD_ATTR', 'concat needs at least two inputs', node.name);
      let c = 0;
      for (const s of ins) {
        if (s.length !== x.length || s.slice(0, -1).some((d, i) => d !== x[i])) {
          throw new GraphError(
            'SHAPE_MISMATCH',
            'concat inputs must match on all but the last axis',
            node.name,
            ins,
          );
        }
        c += s[s.length - 1]!;
      }
      return [...x.slice(0, -1), c];
    }
    case 'flatten':
      return [shapeSize(x)];
    case 'reshape': {
      const target = node.attrs.shape;
      const unknown = target.filter((d) => d === -1).length;
      const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      const total = shapeSize(x);
      if (unknown > 1 || target.some((d) => d === 0 || d < -1 || !Number.isInteger(d))) {
        throw new GraphError('BAD_ATTR', `bad reshape target [${target.join(', ')}]`, node.name);
      }
      const out = target.map((d) => (d === -1 ? total / known : d));
      if (shapeSize(out) !== total || out.some((d) => !Number.isInteger(d))) {
        throw new GraphError('SHAPE_MISMATCH', `cannot reshape to [${target.join(', ')}]`, node.name, [x]);
      }
      return out;
    }
    case 'dropout':
      if (!(node.attrs.rate >= 0 && node.attrs.rate < 1)) {
        throw new GraphError('BAD_ATTR', `dropout rate must be in [0, 1), got ${node.attrs.rate}`, node.name);
      }
      return x;
    case 'relu':
    case 'relu6':
    case 'softmax':
      return x;
  }
}

const ARITY: Partial<Record<string, number>> = { add: -1, concat: -1 };

/** Infer the shape of every value; throws `GraphError` naming the first impossible node. */
export function inferShapes(graph: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const input of graph.inputs) {
    if (shapes.has(input.name)) throw new GraphError('DUPLICATE_NAME', `duplicate input "${input.name}"`);
    if (input.shape.length === 0 || input.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new GraphError('SHAPE_MISMATCH', `input "${input.name}" has an invalid shape`, undefined, [
        input.shape,
      ]);
    }
    shapes.set(input.name, input.shape);
  }
  for (const node of graph.nodes) {
    if (!OP_TYPES.includes(node.op)) {
      throw new GraphError('UNKNOWN_OP', `unknown op "${(node as { op: string }).op}"`, node.name);
    }
    if (shapes.has(node.name)) throw new GraphError('DUPLICATE_NAME', 'duplicate value name', node.name);
    const arity = ARITY[node.op] ?? 1;
    if (node.inputs.length === 0 || (arity > 0 && node.inputs.length !== arity)) {
      throw new GraphError(
        'BAD_ATTR',
        `${node.op} takes ${arity > 0 ? arity : '2 or more'} input(s)`,
        node.name,
      );
    }
    const ins = node.inputs.map((name) => {
      const s = shapes.get(name);
      if (!s)
        throw new GraphError(
          'UNKNOWN_INPUT',
          `input "${name}" is not a graph input or an earlier node`,
          node.name,
        );
      return s;
    });
    shapes.set(node.name, inferNodeShape(graph.params, node, ins));
  }
  if (graph.outputs.length === 0) throw new GraphError('NO_OUTPUT', 'graph has no outputs');
  for (const o of graph.outputs) {
    if (!shapes.has(o)) throw new GraphError('NO_OUTPUT', `output "${o}" is not a value of the graph`);
  }
  return shapes;
}
