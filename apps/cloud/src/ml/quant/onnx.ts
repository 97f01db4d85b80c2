/**
 * The ONNX form of a quantized graph, for the ONNX Runtime check (PROTOCOL.md §6.5): QOperator
 * QLinearConv for conv2d / depthwise / conv1d / dense (dense as a 1x1 conv, so the bias is inside the
 * integer op), uint8 MaxPool / Reshape / Clip, and DequantizeLinear -> float op -> QuantizeLinear for
 * the rest. Tensors stay NHWC between ops; Transpose nodes wrap the NCHW ops.
 */
import onnxProto from 'onnx-proto';
import type { QGraph, QNode, QWeights } from './types.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;

const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

function tensor(name: string, dataType: number, dims: readonly number[], raw: Uint8Array): ITensor {
  return { name, dataType, dims: [...dims], rawData: raw };
}
const bytesOf = (a: ArrayBufferView): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
const f32 = (name: string, v: readonly number[], dims: readonly number[] = []) =>
  tensor(name, DT.FLOAT, dims, bytesOf(Float32Array.from(v)));
const i64 = (name: string, v: readonly number[]) =>
  tensor(name, DT.INT64, [v.length], bytesOf(BigInt64Array.from(v.map(BigInt))));
const u8 = (name: string, v: number) => tensor(name, DT.UINT8, [], Uint8Array.of(v));

/** OHWI (or 1HWC for depthwise) -> OIHW ([C, 1, KH, KW] for depthwise). */
function toOihw(w: QWeights, depthwise: boolean): { dims: number[]; data: Uint8Array } {
  const s =
    w.shape.length === 3
      ? [w.shape[0]!, 1, w.shape[1]!, w.shape[2]!]
      : w.shape.length === 2
        ? [w.shape[0]!, 1, 1, w.shape[1]!]
        : [...w.shape];
  const [O, KH, KW, C] = s as [number, number, number, number];
  const src = bytesOf(w.data);
  const out = new Uint8Array(src.length);
  if (depthwise) {
    for (let ky = 0; ky < KH; ky++)
      for (let kx = 0; kx < KW; kx++)
        for (let c = 0; c < C; c++) out[(c * KH + ky) * KW + kx] = src[(ky * KW + kx) * C + c]!;
    return { dims: [C, 1, KH, KW], data: out };
  }
  for (let o = 0; o < O; o++)
    for (let ky = 0; ky < KH; ky++)
      for (let kx = 0; kx < KW; kx++)
        for (let c = 0; c < C; c++)
          out[((o * C + c) * KH + ky) * KW + kx] = src[((o * KH + ky) * KW + kx) * C + c]!;
  return { dims: [O, C, KH, KW], data: out };
}

class Builder {
  readonly nodes: INode[] = [];
  readonly inits: ITensor[] = [];
  private n = 0;
  constructor(readonly g: QGraph) {}

  tmp(base: string): string {
    return `${base}__${this.n++}`;
  }
  node(
    op: string,
    inputs: string[],
    output: string,
    attribute: onnxProto.onnx.IAttributeProto[] = [],
  ): string {
    this.nodes.push({ opType: op, input: inputs, output: [output], name: this.tmp(op), attribute });
    return output;
  }
  init(t: ITensor): string {
    this.inits.push(t);
    return t.name!;
  }
  qp(value: string): [string, string] {
    const q = this.g.values.get(value)!.q;
    return [
      this.init(f32(this.tmp(`${value}.s`), [q.scale])),
      this.init(u8(this.tmp(`${value}.z`), q.zeroPoint)),
    ];
  }
  dq(value: string): string {
    return this.node('DequantizeLinear', [value, ...this.qp(value)], this.tmp(`${value}.f`));
  }
  q(x: string, value: string, out: string): string {
    return this.node('QuantizeLinear', [x, ...this.qp(value)], out);
  }
  transpose(x: string, perm: number[]): string {
    return this.node('Transpose', [x], this.tmp('t'), [{ name: 'perm', type: 7, ints: perm }]);
  }
  reshape(x: string, shape: readonly number[], out = this.tmp('r')): string {
    return this.node('Reshape', [x, this.init(i64(this.tmp('shape'), [1, ...shape]))], out);
  }
  clip(x: string, lo: number, hi: number, out: string): string {
    if (lo <= 0 && hi >= 255) return this.node('Identity', [x], out);
    return this.node('Clip', [x, this.init(u8(this.tmp('lo'), lo)), this.init(u8(this.tmp('hi'), hi))], out);
  }
}

function ints(name: string, v: readonly number[]) {
  return { name, type: 7, ints: [...v] };
}

function emit(b: Builder, n: QNode): void {
  const x = n.inputs[0]!;
  const y = n.output;
  const ys = b.g.values.get(y)!.shape;
  switch (n.op) {
    case 'conv2d':
    case 'conv1d':
    case 'depthwiseConv2d':
    case 'dense': {
      const xs = b.g.values.get(x)!.shape;
      const w = n.weight;
      const dw = n.op === 'depthwiseConv2d';
      const { dims, data } = toOihw(w, dw);
      const wName = b.init(
        tensor(b.tmp(`${n.name}.w`), w.dtype === 'uint8' ? DT.UINT8 : DT.INT8, dims, data),
      );
      const per = w.scales.length > 1;
      const ws = b.init(f32(b.tmp('ws'), [...w.scales], per ? [w.scales.length] : []));
      const wzData = w.dtype === 'uint8' ? Uint8Array.from(w.zeroPoints) : Int8Array.from(w.zeroPoints);
      const wz = b.init(
        tensor(
          b.tmp('wz'),
          w.dtype === 'uint8' ? DT.UINT8 : DT.INT8,
          per ? [w.scales.length] : [],
          bytesOf(wzData),
        ),
      );
      const bias = b.init(tensor(b.tmp('b'), DT.INT32, [n.bias.data.length], bytesOf(n.bias.data)));
      let xin: string;
      if (n.op === 'dense') xin = b.reshape(x, [xs[0]!, 1, 1]);
      else xin = b.transpose(n.op === 'conv1d' ? b.reshape(x, [1, ...xs]) : x, [0, 3, 1, 2]);
      const attrs =
        n.op === 'dense'
          ? []
          : [
              ints('strides', n.strides),
              ints('dilations', n.dilation),
              ints('pads', [n.pad.top, n.pad.left, n.pad.bottom, n.pad.right]),
              ints('kernel_shape', n.kernel),
              { name: 'group', type: 2, i: dw ? dims[0]! : 1 },
            ];
      const conv = b.node(
        'QLinearConv',
        [xin, ...b.qp(x), wName, ws, wz, ...b.qp(y), bias],
        b.tmp('conv'),
        attrs,
      );
      const back = n.op === 'dense' ? b.reshape(conv, ys) : b.transpose(conv, [0, 2, 3, 1]);
      const shaped = n.op === 'conv1d' ? b.reshape(back, ys) : back;
      b.clip(shaped, n.actMin, n.actMax, y);
      return;
    }
    case 'maxPool':
    case 'avgPool': {
      const attrs = [
        ints('kernel_shape', n.window),
        ints('strides', n.strides),
        ints('pads', [n.pad.top, n.pad.left, n.pad.bottom, n.pad.right]),
      ];
      if (n.op === 'maxPool') {
        const p = b.node('MaxPool', [b.transpose(x, [0, 3, 1, 2])], b.tmp('pool'), attrs);
        b.clip(b.transpose(p, [0, 2, 3, 1]), n.actMin, n.actMax, y);
      } else {
        const p = b.node('AveragePool', [b.transpose(b.dq(x), [0, 3, 1, 2])], b.tmp('pool'), [
          ...attrs,
          { name: 'count_include_pad', type: 2, i: 0 },
        ]);
        b.clip(b.q(b.transpose(p, [0, 2, 3, 1]), y, b.tmp('q')), n.actMin, n.actMax, y);
      }
      return;
    }
    case 'globalAvgPool': {
      const rank = b.g.values.get(x)!.shape.length;
      const axes = rank === 3 ? [1, 2] : [1];
      b.q(
        b.node('ReduceMean', [b.dq(x)], b.tmp('mean'), [
          ints('axes', axes),
          { name: 'keepdims', type: 2, i: 0 },
        ]),
        y,
        y,
      );
      return;
    }
    case 'relu':
      b.q(b.node('Relu', [b.dq(x)], b.tmp('relu')), y, y);
      return;
    case 'relu6': {
      const lo = b.init(f32(b.tmp('lo'), [0]));
      const hi = b.init(f32(b.tmp('hi'), [6]));
      b.q(b.node('Clip', [b.dq(x), lo, hi], b.tmp('relu6')), y, y);
      return;
    }
    case 'add':
      b.q(b.node('Add', [b.dq(x), b.dq(n.inputs[1]!)], b.tmp('add')), y, y);
      return;
    case 'concat':
      b.q(
        b.node(
          'Concat',
          n.inputs.map((i) => b.dq(i)),
          b.tmp('cat'),
          [{ name: 'axis', type: 2, i: -1 }],
        ),
        y,
        y,
      );
      return;
    case 'reshape':
      b.reshape(x, ys, y);
      return;
    case 'softmax':
      b.q(b.node('Softmax', [b.dq(x)], b.tmp('softmax'), [{ name: 'axis', type: 2, i: -1 }]), y, y);
  }
}

/** Serialized ONNX model (IR 7, opset 13): input ORT_INPUT and output ORT_OUTPUT, uint8, NHWC with batch 1. */
export function toOnnx(g: QGraph): Uint8Array {
  const b = new Builder(g);
  const inName = ORT_INPUT;
  b.node('Identity', [inName], g.input);
  for (const n of g.nodes) emit(b, n);
  b.node('Identity', [g.output], ORT_OUTPUT);
  const vi = (name: string, shape: readonly number[]) => ({
    name,
    type: { tensorType: { elemType: DT.UINT8, shape: { dim: [1, ...shape].map((d) => ({ dimValue: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tinyfleet-quant',
    graph: {
      name: g.name,
      node: b.nodes,
      initializer: b.inits,
      input: [vi(inName, g.values.get(g.input)!.shape)],
      output: [vi(ORT_OUTPUT, g.values.get(g.output)!.shape)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export const ORT_INPUT = 'tf_input';
export const ORT_OUTPUT = 'tf_output';
