/**
 * Access to the protobufjs-generated ONNX schema (onnx-proto, a CommonJS package: default import) and
 * small helpers for tensors and attributes. ONNX schema: onnx/onnx.proto (IR version 7, opset 13).
 */
import onnxProto from 'onnx-proto';
import { OnnxError } from './errors.js';

export const { onnx } = onnxProto;
export type OnnxModel = InstanceType<typeof onnx.ModelProto>;
export type INode = onnxProto.onnx.INodeProto;
export type ITensor = onnxProto.onnx.ITensorProto;
export type IAttribute = onnxProto.onnx.IAttributeProto;
export type IValueInfo = onnxProto.onnx.IValueInfoProto;
export type IGraph = onnxProto.onnx.IGraphProto;

/** onnx.proto TensorProto.DataType */
export const DT_FLOAT = 1;
export const DT_INT64 = 7;
export const DT_DOUBLE = 11;
export const DT_INT32 = 6;

/** int64 fields decode as `Long` objects when the `long` package is present, else as numbers. */
export type Int64 = number | { toNumber(): number };

export function int(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** A constant tensor of the model (initializer or Constant node); int tensors are held as float64. */
export interface ConstTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array;
  readonly isInt: boolean;
}

function rawView(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Decodes float32 / float64 / int32 / int64 tensors from `raw_data` or the typed fields. */
export function decodeTensor(t: ITensor, where: string): ConstTensor {
  const dims = (t.dims ?? []).map(int);
  if (dims.some((d) => !Number.isInteger(d) || d < 0))
    throw new OnnxError('MALFORMED', `tensor "${t.name ?? ''}" has invalid dims`, where);
  const size = dims.reduce((p, d) => p * d, 1);
  if (t.dataLocation === 1)
    throw new OnnxError('UNSUPPORTED', `tensor "${t.name ?? ''}" uses external data`, where);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const type = t.dataType ?? 0;
  let values: number[] | Float32Array | Float64Array;
  if (type === DT_FLOAT) {
    if (raw) {
      if (raw.length !== size * 4) throw sizeError(t, where, raw.length / 4, size);
      const out = new Float32Array(size);
      const dv = rawView(raw);
      for (let i = 0; i < size; i++) out[i] = dv.getFloat32(i * 4, true);
      values = out;
    } else values = t.floatData ?? [];
  } else if (type === DT_DOUBLE) {
    if (raw) {
      if (raw.length !== size * 8) throw sizeError(t, where, raw.length / 8, size);
      const dv = rawView(raw);
      values = Float64Array.from({ length: size }, (_, i) => dv.getFloat64(i * 8, true));
    } else values = t.doubleData ?? [];
  } else if (type === DT_INT64) {
    if (raw) {
      if (raw.length !== size * 8) throw sizeError(t, where, raw.length / 8, size);
      const dv = rawView(raw);
      values = Float64Array.from({ length: size }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
    } else values = (t.int64Data ?? []).map(int);
  } else if (type === DT_INT32) {
    if (raw) {
      if (raw.length !== size * 4) throw sizeError(t, where, raw.length / 4, size);
      const dv = rawView(raw);
      values = Float64Array.from({ length: size }, (_, i) => dv.getInt32(i * 4, true));
    } else values = t.int32Data ?? [];
  } else {
    throw new OnnxError('UNSUPPORTED', `tensor "${t.name ?? ''}" has unsupported data type ${type}`, where);
  }
  if (values.length !== size) throw sizeError(t, where, values.length, size);
  const isInt = type === DT_INT64 || type === DT_INT32;
  const data = isInt || type === DT_DOUBLE ? Float64Array.from(values) : Float32Array.from(values);
  return { dims, data, isInt };
}

function sizeError(t: ITensor, where: string, got: number, want: number): OnnxError {
  return new OnnxError(
    'MALFORMED',
    `tensor "${t.name ?? ''}" holds ${got} values, its dims [${(t.dims ?? []).map(int).join(', ')}] need ${want}`,
    where,
  );
}

export function floatTensor(name: string, dims: readonly number[], data: Float32Array): ITensor {
  const raw = new Uint8Array(data.length * 4);
  const dv = rawView(raw);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i]!, true);
  return { name, dims: [...dims], dataType: DT_FLOAT, rawData: raw };
}

export function int64Tensor(name: string, values: readonly number[]): ITensor {
  const raw = new Uint8Array(values.length * 8);
  const dv = rawView(raw);
  values.forEach((v, i) => {
    dv.setBigInt64(i * 8, BigInt(v), true);
  });
  return { name, dims: [values.length], dataType: DT_INT64, rawData: raw };
}

/** onnx.proto AttributeProto.AttributeType */
const AT_FLOAT = 1;
const AT_INT = 2;
const AT_TENSOR = 4;
const AT_INTS = 7;

export function attrInt(name: string, i: number): IAttribute {
  return { name, type: AT_INT, i };
}
export function attrInts(name: string, ints: readonly number[]): IAttribute {
  return { name, type: AT_INTS, ints: [...ints] };
}
export function attrFloat(name: string, f: number): IAttribute {
  return { name, type: AT_FLOAT, f };
}

/** Attribute reader for one node. */
export class Attrs {
  private readonly byName = new Map<string, IAttribute>();
  constructor(node: INode) {
    for (const a of node.attribute ?? []) if (a.name) this.byName.set(a.name, a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    return a ? int(a.i) : fallback;
  }
  float(name: string, fallback: number): number {
    const a = this.byName.get(name);
    return a ? (a.f ?? fallback) : fallback;
  }
  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(int) : undefined;
  }
  string(name: string): string | undefined {
    const a = this.byName.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : undefined;
  }
  tensor(name: string): ITensor | undefined {
    const a = this.byName.get(name);
    return a && (a.type === AT_TENSOR || a.t) ? (a.t ?? undefined) : undefined;
  }
  /** Constant's value_float / value_floats / value_int / value_ints as a tensor. */
  scalarish(): ConstTensor | undefined {
    const f = this.byName.get('value_float');
    if (f) return { dims: [], data: Float32Array.of(f.f ?? 0), isInt: false };
    const fs = this.byName.get('value_floats');
    if (fs) return { dims: [fs.floats?.length ?? 0], data: Float32Array.from(fs.floats ?? []), isInt: false };
    const i = this.byName.get('value_int');
    if (i) return { dims: [], data: Float64Array.of(int(i.i)), isInt: true };
    const is = this.byName.get('value_ints');
    if (is) {
      const v = (is.ints ?? []).map(int);
      return { dims: [v.length], data: Float64Array.from(v), isInt: true };
    }
    return undefined;
  }
}
