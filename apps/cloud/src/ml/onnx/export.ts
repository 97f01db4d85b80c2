/**
 * TinyFleet graph -> ONNX (IR version 7, opset 13). The ONNX graph is NCHW throughout: inputs and
 * outputs of rank >= 2 are channels first (`[N, C, H, W]`, `[N, C, T]`), weights are converted, and
 * a Flatten feeding only dense layers permutes the dense weight rows instead of transposing data.
 * Reshapes of multi-axis values go through a channels-last Transpose. Dropout is removed.
 * Op mapping: README.md in this folder.
 */
import { inferShapes } from '../graph/shapes.js';
import type { Graph, Node, Shape } from '../graph/types.js';
import { OnnxError } from './errors.js';
import { convWeight, denseWeight, onnxPads } from './export-weights.js';
import { channelsFirstOrder, type Order, sameOrder, toChannelsFirst } from './layout.js';
import {
  attrFloat,
  attrInt,
  attrInts,
  DT_FLOAT,
  floatTensor,
  type INode,
  type ITensor,
  type IValueInfo,
  int64Tensor,
  onnx,
} from './proto.js';

export const EXPORT_OPSET = 13;
export const EXPORT_IR_VERSION = 7;

/** Where a TinyFleet value lives in the ONNX graph: its name, per-sample shape and element order. */
interface Placed {
  readonly name: string;
  readonly shape: readonly number[];
  readonly order: Order;
}

class Emitter {
  readonly nodes: INode[] = [];
  readonly inits: ITensor[] = [];
  readonly placed = new Map<string, Placed>();
  private readonly forms = new Map<string, Placed>();
  private readonly initNames = new Set<string>();

  constructor(
    readonly graph: Graph,
    readonly shapes: Map<string, Shape>,
  ) {}

  node(opType: string, inputs: string[], output: string, attribute: INode['attribute'] = []): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute });
    return output;
  }

  init(t: ITensor): string {
    const name = t.name!;
    if (!this.initNames.has(name)) {
      this.initNames.add(name);
      this.inits.push(t);
    }
    return name;
  }

  param(key: string, dims?: readonly number[], data?: Float32Array): string {
    const t = this.graph.params[key]!;
    return this.init(floatTensor(key, dims ?? t.shape, data ?? t.data));
  }

  get(value: string): Placed {
    const p = this.placed.get(value);
    if (!p) throw new OnnxError('BAD_GRAPH', `value "${value}" is not defined before use`);
    return p;
  }

  /** The value channels first (rank >= 2) or as a plain vector (rank 1). */
  canonical(value: string): string {
    const ir = this.shapes.get(value)!;
    return this.form(value, toChannelsFirst(ir), channelsFirstOrder(ir), 'nchw');
  }

  /** The value in TinyFleet's own element order and shape (channels last). */
  channelsLast(value: string): string {
    return this.form(value, this.shapes.get(value)!, null, 'nhwc');
  }

  private form(value: string, shape: readonly number[], order: Order, tag: string): string {
    const p = this.get(value);
    if (sameOrder(p.order, order) && sameShape(p.shape, shape)) return p.name;
    const key = `${value}\u0000${tag}`;
    const cached = this.forms.get(key);
    if (cached) return cached.name;
    const ir = this.shapes.get(value)!;
    let from = p;
    if (!this.convertible(from, ir, shape, order)) {
      const cl = this.channelsLast(value);
      from = { name: cl, shape: ir, order: null };
    }
    const out = `${value}/${tag}`;
    this.convert(from, ir, shape, order, out);
    this.forms.set(key, { name: out, shape, order });
    return out;
  }

  private convertible(p: Placed, ir: Shape, shape: readonly number[], order: Order): boolean {
    if (sameOrder(p.order, order)) return true;
    const cf = channelsFirstOrder(ir);
    const isCf = (q: Order, s: readonly number[]): boolean =>
      sameOrder(q, cf) && sameShape(s, toChannelsFirst(ir));
    const isCl = (q: Order, s: readonly number[]): boolean => q === null && sameShape(s, ir);
    return (isCf(p.order, p.shape) && isCl(order, shape)) || (isCl(p.order, p.shape) && isCf(order, shape));
  }

  private convert(p: Placed, ir: Shape, shape: readonly number[], order: Order, out: string): void {
    if (!this.convertible(p, ir, shape, order))
      throw new OnnxError('BAD_GRAPH', `no layout conversion for "${p.name}"`);
    const r = ir.length;
    if (sameOrder(p.order, order)) {
      this.node('Reshape', [p.name, this.init(int64Tensor(`${out}/shape`, [-1, ...shape]))], out);
    } else if (order === null) {
      // [N, C, ...S] -> [N, ...S, C]
      const perm = [0, ...Array.from({ length: r - 1 }, (_, i) => i + 2), 1];
      this.node('Transpose', [p.name], out, [attrInts('perm', perm)]);
    } else {
      // [N, ...S, C] -> [N, C, ...S]
      const perm = [0, r, ...Array.from({ length: r - 1 }, (_, i) => i + 1)];
      this.node('Transpose', [p.name], out, [attrInts('perm', perm)]);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function spatialAttrs(
  e: Emitter,
  node: Node & { attrs: { kernel: readonly number[]; strides: readonly number[] } },
  dilation: readonly number[],
  padding: 'same' | 'valid',
) {
  const x = e.shapes.get(node.inputs[0]!)!;
  const spatial = x.slice(0, -1);
  return [
    attrInts('kernel_shape', node.attrs.kernel),
    attrInts('strides', node.attrs.strides),
    attrInts('pads', onnxPads(spatial, node.attrs.kernel, node.attrs.strides, dilation, padding)),
  ];
}

function emitNode(e: Emitter, node: Node, consumers: Map<string, Node[]>, outputs: Set<string>): void {
  const name = node.name;
  const irOut = e.shapes.get(name)!;
  const place = (onnxName: string, shape: readonly number[], order: Order): void => {
    e.placed.set(name, { name: onnxName, shape, order });
  };
  const canonicalOut = (onnxName: string): void =>
    place(onnxName, toChannelsFirst(irOut), channelsFirstOrder(irOut));
  const x0 = node.inputs[0]!;
  switch (node.op) {
    case 'conv2d':
    case 'conv1d':
    case 'depthwiseConv2d': {
      const dw = node.op === 'depthwiseConv2d';
      const w = convWeight(e.graph.params[node.params.weight]!, dw);
      const ins = [e.canonical(x0), e.param(node.params.weight, w.dims, w.data)];
      if (node.params.bias) ins.push(e.param(node.params.bias));
      const attrs = [
        ...spatialAttrs(e, node, node.attrs.dilation, node.attrs.padding),
        attrInts('dilations', node.attrs.dilation),
        attrInt('group', dw ? e.shapes.get(x0)!.at(-1)! : 1),
      ];
      canonicalOut(e.node('Conv', ins, name, attrs));
      return;
    }
    case 'dense': {
      const p = e.get(x0);
      const wt = e.graph.params[node.params.weight]!;
      const ins = [p.name, e.param(node.params.weight, wt.shape, denseWeight(wt, p.order))];
      if (node.params.bias) ins.push(e.param(node.params.bias));
      canonicalOut(e.node('Gemm', ins, name));
      return;
    }
    case 'batchNorm': {
      const pr = node.params;
      const ins = [
        e.canonical(x0),
        e.param(pr.gamma),
        e.param(pr.beta),
        e.param(pr.mean),
        e.param(pr.variance),
      ];
      const attrs = [
        attrFloat('epsilon', node.attrs.epsilon),
        attrFloat('momentum', 1 - node.attrs.momentum),
      ];
      canonicalOut(e.node('BatchNormalization', ins, name, attrs));
      return;
    }
    case 'relu':
    case 'relu6': {
      const p = e.get(x0);
      const ins = [p.name];
      if (node.op === 'relu6') {
        ins.push(e.init(floatTensor('relu6/min', [], Float32Array.of(0))));
        ins.push(e.init(floatTensor('relu6/max', [], Float32Array.of(6))));
      }
      place(e.node(node.op === 'relu' ? 'Relu' : 'Clip', ins, name), p.shape, p.order);
      return;
    }
    case 'maxPool':
    case 'avgPool': {
      const ones = node.attrs.kernel.map(() => 1);
      const attrs = spatialAttrs(e, node, ones, node.attrs.padding);
      if (node.op === 'avgPool') attrs.push(attrInt('count_include_pad', 0));
      canonicalOut(e.node(node.op === 'maxPool' ? 'MaxPool' : 'AveragePool', [e.canonical(x0)], name, attrs));
      return;
    }
    case 'globalAvgPool': {
      const pooled = e.node('GlobalAveragePool', [e.canonical(x0)], `${name}/pool`);
      canonicalOut(e.node('Flatten', [pooled], name, [attrInt('axis', 1)]));
      return;
    }
    case 'add': {
      const ins = node.inputs.map((i) => e.canonical(i));
      let acc = ins[0]!;
      for (let k = 1; k < ins.length; k++)
        acc = e.node('Add', [acc, ins[k]!], k === ins.length - 1 ? name : `${name}/${k}`);
      canonicalOut(acc);
      return;
    }
    case 'concat':
      canonicalOut(
        e.node(
          'Concat',
          node.inputs.map((i) => e.canonical(i)),
          name,
          [attrInt('axis', 1)],
        ),
      );
      return;
    case 'softmax':
      canonicalOut(e.node('Softmax', [e.canonical(x0)], name, [attrInt('axis', 1)]));
      return;
    case 'dropout':
      e.placed.set(name, e.get(x0));
      return;
    case 'flatten': {
      const p = e.get(x0);
      const onlyDense = !outputs.has(name) && (consumers.get(name) ?? []).every((c) => c.op === 'dense');
      const src = onlyDense ? p.name : e.channelsLast(x0);
      const order = onlyDense ? p.order : null;
      place(e.node('Flatten', [src], name, [attrInt('axis', 1)]), irOut, order);
      return;
    }
    case 'reshape': {
      const shape = e.init(int64Tensor(`${name}/shape`, [-1, ...irOut]));
      place(e.node('Reshape', [e.channelsLast(x0), shape], name), irOut, null);
      return;
    }
  }
}

function valueInfo(name: string, shape: readonly number[]): IValueInfo {
  const dim = [{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))];
  return { name, type: { tensorType: { elemType: DT_FLOAT, shape: { dim } } } };
}

export interface ExportOptions {
  readonly docString?: string;
}

/** Builds the ONNX ModelProto of a graph (see the module comment for layouts). */
export function toOnnxModel(graph: Graph, options: ExportOptions = {}): InstanceType<typeof onnx.ModelProto> {
  let shapes: Map<string, Shape>;
  try {
    shapes = inferShapes(graph);
  } catch (cause) {
    throw new OnnxError(
      'BAD_GRAPH',
      `cannot export an invalid graph: ${(cause as Error).message}`,
      undefined,
      [],
      { cause },
    );
  }
  const e = new Emitter(graph, shapes);
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs);
  const inputs: IValueInfo[] = graph.inputs.map((spec) => {
    const uses = consumers.get(spec.name) ?? [];
    const plain =
      spec.shape.length < 2 ||
      (uses.length > 0 &&
        !outputs.has(spec.name) &&
        uses.every((u) => u.op === 'reshape' || u.op === 'flatten'));
    const shape = plain ? spec.shape : toChannelsFirst(spec.shape);
    e.placed.set(spec.name, { name: spec.name, shape, order: plain ? null : channelsFirstOrder(spec.shape) });
    return valueInfo(spec.name, shape);
  });
  for (const node of graph.nodes) emitNode(e, node, consumers, outputs);
  const outs = graph.outputs.map((o) => {
    let name = e.canonical(o);
    if (name === graph.inputs.find((i) => i.name === name)?.name)
      name = e.node('Identity', [name], `${o}/out`);
    return valueInfo(name, toChannelsFirst(shapes.get(o)!));
  });
  return onnx.ModelProto.create({
    irVersion: EXPORT_IR_VERSION,
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    producerName: 'tinyfleet',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    graph: { name: graph.name, node: e.nodes, initializer: e.inits, input: inputs, output: outs },
  });
}

/** Serialized ONNX model bytes. */
export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(toOnnxModel(graph, options)).finish();
}
