/**
 * ONNX -> TinyFleet graph. Reads what `torch.onnx.export` produces for CNNs built from the supported
 * ops (see `SUPPORTED_IMPORT_OPS` and README.md here). ONNX is NCHW and TinyFleet NHWC: each ONNX
 * value is tracked as a TinyFleet value plus an element order (layout.ts), so layout-only ops vanish
 * and Flatten -> Gemm permutes the dense weights. Every failure is an `OnnxError`.
 */
import { GraphError } from '../graph/errors.js';
import { inferShapes } from '../graph/shapes.js';
import type { Graph, Node, Tensor } from '../graph/types.js';
import { OnnxError } from './errors.js';
import { ImportContext } from './import-context.js';
import { importBatchNorm, importConv, importGemm, importMatMul, importPool } from './import-ops.js';
import { importGather, importShape, importUnsqueeze } from './import-shape.js';
import {
  importAdd,
  importClip,
  importConcat,
  importFlatten,
  importGlobalAvgPool,
  importIdentity,
  importRelu,
  importReshape,
  importSoftmax,
  importTranspose,
} from './import-simple.js';
import { channelsFirstOrder, toChannelsLast } from './layout.js';
import { Attrs, DT_FLOAT, decodeTensor, type IGraph, type INode, int, onnx } from './proto.js';

type Handler = (ctx: ImportContext, node: INode, where: string) => void;

const HANDLERS: Readonly<Record<string, Handler>> = {
  Conv: importConv,
  Gemm: importGemm,
  MatMul: importMatMul,
  BatchNormalization: importBatchNorm,
  MaxPool: importPool,
  AveragePool: importPool,
  GlobalAveragePool: importGlobalAvgPool,
  Relu: importRelu,
  Clip: importClip,
  Add: importAdd,
  Concat: importConcat,
  Flatten: importFlatten,
  Reshape: importReshape,
  Transpose: importTranspose,
  Identity: importIdentity,
  Dropout: importIdentity,
  Softmax: importSoftmax,
  Constant: importConstant,
  Shape: importShape,
  Gather: importGather,
  Unsqueeze: importUnsqueeze,
};

export const SUPPORTED_IMPORT_OPS: readonly string[] = Object.keys(HANDLERS);
export const MIN_IMPORT_OPSET = 7;
export const MAX_IMPORT_OPSET = 23;

export interface ImportOptions {
  /** Graph name (default: the ONNX graph name). */
  readonly name?: string;
}

export interface ImportResult {
  readonly graph: Graph;
  readonly opset: number;
  readonly producer: string;
}

/** Parses ONNX bytes into a TinyFleet graph; throws `OnnxError` for anything it cannot represent. */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new OnnxError('BAD_PROTOBUF', `not an ONNX model: ${(cause as Error).message}`, undefined, [], {
      cause,
    });
  }
  try {
    return convert(model, options);
  } catch (e) {
    if (e instanceof OnnxError) throw e;
    throw new OnnxError('MALFORMED', `cannot read the model: ${(e as Error).message}`, undefined, [], {
      cause: e,
    });
  }
}

function importConstant(ctx: ImportContext, node: INode, where: string): void {
  const a = new Attrs(node);
  const t = a.tensor('value');
  const c = t ? decodeTensor(t, where) : a.scalarish();
  if (!c) throw new OnnxError('UNSUPPORTED', `Constant with attributes ${a.names().join(', ')}`, where);
  const out = node.output?.[0];
  if (out) ctx.consts.set(out, c);
}

function opsetOf(model: InstanceType<typeof onnx.ModelProto>): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) throw new OnnxError('MALFORMED', 'the model imports no default-domain opset');
  const v = int(entry.version);
  if (v < MIN_IMPORT_OPSET || v > MAX_IMPORT_OPSET)
    throw new OnnxError('UNSUPPORTED', `opset ${v}; supported ${MIN_IMPORT_OPSET}-${MAX_IMPORT_OPSET}`);
  return v;
}

function checkOps(g: IGraph): void {
  const bad = new Set<string>();
  for (const n of g.node ?? []) {
    const op = n.opType ?? '';
    const foreign = n.domain && n.domain !== 'ai.onnx';
    if (foreign || !Object.hasOwn(HANDLERS, op))
      bad.add(foreign ? `${n.domain}::${op}` : op || '(empty op_type)');
  }
  if (bad.size > 0) {
    const ops = [...bad];
    throw new OnnxError('UNSUPPORTED_OPS', `unsupported ONNX op(s): ${ops.join(', ')}`, undefined, ops);
  }
}

function convert(model: InstanceType<typeof onnx.ModelProto>, options: ImportOptions): ImportResult {
  const g = model.graph;
  if (!g || (g.node ?? []).length === 0)
    throw new OnnxError('MALFORMED', 'the model has no graph or no nodes');
  const opset = opsetOf(model);
  checkOps(g);
  const ctx = new ImportContext(opset);
  for (const t of g.initializer ?? []) {
    if (!t.name) throw new OnnxError('MALFORMED', 'an initializer has no name');
    if (ctx.consts.has(t.name)) throw new OnnxError('MALFORMED', `initializer "${t.name}" is defined twice`);
    ctx.consts.set(t.name, decodeTensor(t, `initializer ${t.name}`));
  }
  for (const n of g.node ?? [])
    for (const i of n.input ?? []) if (i) ctx.uses.set(i, (ctx.uses.get(i) ?? 0) + 1);
  for (const o of g.output ?? []) if (o.name) ctx.uses.set(o.name, (ctx.uses.get(o.name) ?? 0) + 1);
  const input = graphInput(ctx, g);
  (g.node ?? []).forEach((node, index) => {
    const where = node.name || node.output?.[0] || `#${index} ${node.opType}`;
    for (const i of node.input ?? []) {
      if (i && !ctx.consts.has(i) && !ctx.values.has(i))
        throw new OnnxError(
          'MALFORMED',
          `input "${i}" is not a graph input, an initializer or an earlier node's output`,
          where,
        );
    }
    if (!node.output?.[0]) throw new OnnxError('MALFORMED', 'node has no output', where);
    HANDLERS[node.opType ?? '']!(ctx, node, where);
  });
  const outputs = (g.output ?? []).map((o) => {
    const m = ctx.value(o.name ?? '', `graph output ${o.name ?? ''}`);
    const ir = m.order === null ? m.ir : ctx.channelsLast(m, `graph output ${o.name}`).ir;
    if (ir === input.name) throw new OnnxError('UNSUPPORTED', `graph output "${o.name}" is the input itself`);
    return ir;
  });
  if (outputs.length === 0) throw new OnnxError('MALFORMED', 'the graph has no outputs');
  const graph = prune({
    name: options.name ?? (g.name || 'onnx'),
    inputs: [input],
    outputs,
    nodes: ctx.nodes,
    params: ctx.params,
  });
  try {
    inferShapes(graph);
  } catch (cause) {
    if (!(cause instanceof GraphError)) throw cause;
    throw new OnnxError('BAD_GRAPH', `imported graph is invalid: ${cause.message}`, undefined, [], { cause });
  }
  return { graph, opset, producer: `${model.producerName} ${model.producerVersion}`.trim() };
}

/** The one data input; NCHW unless every consumer first transposes it from NHWC or reshapes it. */
function graphInput(ctx: ImportContext, g: IGraph): { name: string; shape: number[] } {
  const data = (g.input ?? []).filter((i) => i.name && !ctx.consts.has(i.name));
  if (data.length !== 1)
    throw new OnnxError(
      data.length === 0 ? 'MALFORMED' : 'UNSUPPORTED',
      `the graph has ${data.length} data inputs, TinyFleet takes exactly one`,
    );
  const spec = data[0]!;
  const tt = spec.type?.tensorType;
  if (!tt || tt.elemType !== DT_FLOAT)
    throw new OnnxError('UNSUPPORTED', `input "${spec.name}" is not a float tensor`);
  const dims = tt.shape?.dim ?? [];
  const s = dims.slice(1).map((d) => int(d.dimValue));
  if (dims.length < 2 || s.some((d) => !Number.isInteger(d) || d < 1))
    throw new OnnxError(
      'UNSUPPORTED',
      `input "${spec.name}" needs a batch axis and fixed sizes for the others`,
    );
  const r = s.length;
  const users = (g.node ?? []).filter((n) => (n.input ?? []).includes(spec.name!));
  const toNchw = [0, r, ...Array.from({ length: r - 1 }, (_, i) => i + 1)].join(',');
  const plain =
    r < 2 ||
    (users.length > 0 &&
      users.every(
        (n) =>
          n.opType === 'Reshape' ||
          n.opType === 'Flatten' ||
          (n.opType === 'Transpose' && (new Attrs(n).ints('perm') ?? []).join(',') === toNchw),
      ));
  const irShape = plain ? s : toChannelsLast(s);
  const name = ctx.name(spec.name!);
  ctx.shapes.set(name, irShape);
  ctx.values.set(spec.name!, {
    ir: name,
    irShape,
    shape: s,
    order: plain ? null : channelsFirstOrder(irShape),
  });
  return { name, shape: irShape };
}

/** Drops nodes (and their parameters) that no output depends on. */
function prune(graph: Graph): Graph {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const live = new Set<string>();
  const stack = [...graph.outputs];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (live.has(v)) continue;
    live.add(v);
    stack.push(...(byName.get(v)?.inputs ?? []));
  }
  const nodes: Node[] = graph.nodes.filter((n) => live.has(n.name));
  const params: Record<string, Tensor> = {};
  for (const n of nodes) for (const key of Object.values(n.params)) if (key) params[key] = graph.params[key]!;
  return { ...graph, nodes, params };
}
