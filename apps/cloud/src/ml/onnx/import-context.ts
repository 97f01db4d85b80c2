/**
 * State of one ONNX import: constants, the TinyFleet value behind each ONNX value (with the element
 * order relating them, see layout.ts), and the TinyFleet nodes and parameters built so far.
 */
import { GraphError } from '../graph/errors.js';
import { inferNodeShape } from '../graph/shapes.js';
import type { Node, Shape, Tensor } from '../graph/types.js';
import { OnnxError } from './errors.js';
import { channelsFirstOrder, type Order, sameOrder, toChannelsLast } from './layout.js';
import { Attrs, type ConstTensor, type INode } from './proto.js';

/** A non-constant ONNX value: TinyFleet value `ir` holds its elements; ONNX element i = ir[order[i]]. */
export interface Mapped {
  readonly ir: string;
  readonly irShape: Shape;
  /** ONNX shape without the batch axis. */
  readonly shape: readonly number[];
  readonly order: Order;
}

export class ImportContext {
  readonly nodes: Node[] = [];
  readonly params: Record<string, Tensor> = {};
  readonly consts = new Map<string, ConstTensor>();
  readonly values = new Map<string, Mapped>();
  /** Shapes of the TinyFleet values built so far. */
  readonly shapes = new Map<string, Shape>();
  /** How many node inputs and graph outputs read each ONNX value. */
  readonly uses = new Map<string, number>();
  private readonly names = new Set<string>();

  constructor(readonly opset: number) {}

  /** A fresh TinyFleet name derived from an ONNX name. */
  name(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.:/-]/g, '_').replace(/^[/.]+/, '') || 'node';
    let n = clean;
    for (let k = 1; this.names.has(n); k++) n = `${clean}_${k}`;
    this.names.add(n);
    return n;
  }

  reserve(name: string): void {
    this.names.add(name);
  }

  /** Appends a TinyFleet node after checking it (shape inference); `where` names the ONNX node. */
  addNode(node: Node, where?: string): string {
    try {
      const ins = node.inputs.map((i) => this.outShape(i));
      this.shapes.set(node.name, inferNodeShape(this.params, node, ins));
    } catch (cause) {
      if (!(cause instanceof GraphError)) throw cause;
      throw new OnnxError('SHAPE_MISMATCH', cause.message, where ?? node.name, [], { cause });
    }
    this.nodes.push(node);
    return node.name;
  }

  outShape(value: string): Shape {
    const s = this.shapes.get(value);
    if (!s) throw new OnnxError('MALFORMED', `internal: no shape for "${value}"`);
    return s;
  }

  param(node: string, role: string, shape: Shape, data: Float32Array): string {
    const key = `${node}.${role}`;
    this.params[key] = { shape, data };
    return key;
  }

  isConst(name: string): boolean {
    return this.consts.has(name);
  }

  constant(name: string | undefined, where: string, what: string): ConstTensor {
    if (!name) throw new OnnxError('MALFORMED', `missing ${what} input`, where);
    const c = this.consts.get(name);
    if (c) return c;
    if (this.values.has(name))
      throw new OnnxError('UNSUPPORTED', `${what} "${name}" must be an initializer or a Constant`, where);
    throw new OnnxError(
      'MALFORMED',
      `${what} "${name}" is not produced by any initializer or earlier node`,
      where,
    );
  }

  optionalConstant(name: string | undefined, where: string, what: string): ConstTensor | undefined {
    return name ? this.constant(name, where, what) : undefined;
  }

  value(name: string | undefined, where: string): Mapped {
    if (!name) throw new OnnxError('MALFORMED', 'missing data input', where);
    const v = this.values.get(name);
    if (v) return v;
    if (this.consts.has(name))
      throw new OnnxError('UNSUPPORTED', `constant "${name}" used as a data input`, where);
    throw new OnnxError(
      'MALFORMED',
      `input "${name}" is not a graph input, an initializer or the output of an earlier node`,
      where,
    );
  }

  /** A TinyFleet value with `shape` holding the same elements in the same order as `m` (reshape if needed). */
  reshaped(m: Mapped, shape: Shape): string {
    if (m.irShape.length === shape.length && m.irShape.every((d, i) => d === shape[i])) return m.ir;
    const name = this.name(`${m.ir}/reshape`);
    return this.addNode({ name, op: 'reshape', inputs: [m.ir], attrs: { shape: [...shape] }, params: {} });
  }

  /** The input of a channels-first ONNX op as a channels-last TinyFleet value `[...S, C]`. */
  channelsLast(m: Mapped, where: string): { ir: string; shape: Shape } {
    const shape = toChannelsLast(m.shape);
    if (!sameOrder(m.order, channelsFirstOrder(shape))) {
      throw new OnnxError(
        'UNSUPPORTED',
        `input layout [${m.shape.join(', ')}] is not channels-first relative to the TinyFleet value (a transpose TinyFleet cannot express)`,
        where,
      );
    }
    return { ir: this.reshaped(m, shape), shape };
  }

  /** The input of a vector op (Gemm, MatMul) as a rank-1 TinyFleet value plus the element order. */
  vector(m: Mapped, where: string): { ir: string; order: Order; size: number } {
    if (m.shape.length !== 1) {
      throw new OnnxError('UNSUPPORTED', `expects a [N, F] input, got [N, ${m.shape.join(', ')}]`, where);
    }
    return { ir: this.reshaped(m, [m.shape[0]!]), order: m.order, size: m.shape[0]! };
  }

  /** Output of a channels-first op producing TinyFleet `[...S, C]`. */
  setChannelsFirst(onnxName: string | undefined, ir: string, irShape: Shape): void {
    if (!onnxName) return;
    this.values.set(onnxName, {
      ir,
      irShape,
      shape: irShape.length < 2 ? irShape : [irShape.at(-1)!, ...irShape.slice(0, -1)],
      order: channelsFirstOrder(irShape),
    });
  }

  attrs(node: INode): Attrs {
    return new Attrs(node);
  }
}
