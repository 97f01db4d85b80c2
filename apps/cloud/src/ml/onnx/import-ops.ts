/** Import of the ops with weights or windows: Conv, Gemm, MatMul, BatchNormalization, MaxPool, AveragePool. */
import type { Padding } from '../graph/types.js';
import { OnnxError } from './errors.js';
import { onnxPads } from './export-weights.js';
import type { ImportContext } from './import-context.js';
import { convDataFromOnnx, convShapeFromOnnx, denseFromOnnx } from './import-weights.js';
import type { Attrs, ConstTensor, INode } from './proto.js';

const f32 = (c: ConstTensor): Float32Array => Float32Array.from(c.data);
const numel = (c: ConstTensor): number => c.data.length;

/** Matches ONNX padding attributes to TinyFleet's "same" (extra padding after) or "valid". */
function padding(
  a: Attrs,
  where: string,
  spatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
): Padding {
  const auto = a.string('auto_pad') ?? 'NOTSET';
  if (auto === 'VALID') return 'valid';
  if (auto === 'SAME_UPPER') return 'same';
  const same = onnxPads(spatial, kernel, strides, dilation, 'same');
  const k = spatial.length;
  let pads = a.ints('pads') ?? new Array<number>(2 * k).fill(0);
  if (auto === 'SAME_LOWER') pads = [...same.slice(k), ...same.slice(0, k)];
  else if (auto !== 'NOTSET') throw new OnnxError('UNSUPPORTED', `auto_pad "${auto}"`, where);
  if (pads.length !== 2 * k)
    throw new OnnxError('MALFORMED', `pads has ${pads.length} entries, expected ${2 * k}`, where);
  const eq = (b: readonly number[]): boolean => pads.every((p, i) => p === b[i]);
  if (eq(new Array<number>(2 * k).fill(0))) return 'valid';
  if (eq(same)) return 'same';
  throw new OnnxError(
    'UNSUPPORTED',
    `pads [${pads.join(', ')}] on input [${spatial.join(', ')}] are neither "valid" nor TinyFleet's "same" ([${same.join(', ')}], extra padding after)`,
    where,
  );
}

function spatialInts(a: Attrs, name: string, k: number, fallback: number, where: string): number[] {
  const v = a.ints(name) ?? new Array<number>(k).fill(fallback);
  if (v.length !== k || v.some((x) => !Number.isInteger(x) || x < 1))
    throw new OnnxError('MALFORMED', `${name} must be ${k} positive integers, got [${v.join(', ')}]`, where);
  return v;
}

export function importConv(ctx: ImportContext, node: INode, where: string): void {
  const a = ctx.attrs(node);
  const x = ctx.value(node.input?.[0], where);
  const w = ctx.constant(node.input?.[1], where, 'weight');
  const b = ctx.optionalConstant(node.input?.[2], where, 'bias');
  const k = w.dims.length - 2;
  if (k < 1 || k > 2) throw new OnnxError('UNSUPPORTED', `${k}-D convolution`, where);
  if (x.shape.length !== k + 1)
    throw new OnnxError(
      'SHAPE_MISMATCH',
      `weight [${w.dims.join(', ')}] does not fit input [N, ${x.shape.join(', ')}]`,
      where,
    );
  const { ir, shape } = ctx.channelsLast(x, where);
  const cin = x.shape[0]!;
  const [m, wcin] = [w.dims[0]!, w.dims[1]!];
  const group = a.int('group', 1);
  const kernel = w.dims.slice(2);
  const ks = a.ints('kernel_shape');
  if (ks?.some((d, i) => d !== kernel[i]))
    throw new OnnxError('SHAPE_MISMATCH', 'kernel_shape differs from the weight', where);
  const depthwise = group !== 1 && group === cin && m === cin && wcin === 1;
  if (group !== 1 && !(depthwise && k === 2))
    throw new OnnxError(
      'UNSUPPORTED',
      `grouped convolution (group ${group}, ${cin} channels, ${k}-D); only group 1 and 2-D depthwise`,
      where,
    );
  if (group === 1 && wcin !== cin)
    throw new OnnxError(
      'SHAPE_MISMATCH',
      `weight expects ${wcin} input channels, the input has ${cin}`,
      where,
    );
  if (b && numel(b) !== m)
    throw new OnnxError('SHAPE_MISMATCH', `bias has ${numel(b)} values for ${m} filters`, where);
  const strides = spatialInts(a, 'strides', k, 1, where);
  const dilation = spatialInts(a, 'dilations', k, 1, where);
  const pad = padding(a, where, shape.slice(0, -1), kernel, strides, dilation);
  const name = ctx.name(node.name || node.output?.[0] || 'conv');
  const params: Record<string, string> = {
    weight: ctx.param(name, 'weight', convShapeFromOnnx(w.dims, depthwise), convDataFromOnnx(w.dims, f32(w))),
  };
  if (b) params.bias = ctx.param(name, 'bias', [m], f32(b));
  const attrs = { kernel, strides, dilation, padding: pad };
  const op = depthwise ? 'depthwiseConv2d' : k === 2 ? 'conv2d' : 'conv1d';
  ctx.addNode(
    op === 'depthwiseConv2d'
      ? { name, op, inputs: [ir], attrs, params: params as { weight: string } }
      : { name, op, inputs: [ir], attrs: { ...attrs, filters: m }, params: params as { weight: string } },
  );
  ctx.setChannelsFirst(node.output?.[0], name, ctx.outShape(name));
}

function dense(
  ctx: ImportContext,
  node: INode,
  where: string,
  w: ConstTensor,
  transposed: boolean,
  alpha: number,
  bias: Float32Array | null,
): void {
  const x = ctx.vector(ctx.value(node.input?.[0], where), where);
  if (w.dims.length !== 2) throw new OnnxError('UNSUPPORTED', `weight of rank ${w.dims.length}`, where);
  const [fin, fout] = transposed ? [w.dims[1]!, w.dims[0]!] : [w.dims[0]!, w.dims[1]!];
  if (fin !== x.size)
    throw new OnnxError(
      'SHAPE_MISMATCH',
      `weight [${w.dims.join(', ')}] does not fit input [N, ${x.size}]`,
      where,
    );
  const name = ctx.name(node.name || node.output?.[0] || 'dense');
  const params: Record<string, string> = {
    weight: ctx.param(
      name,
      'weight',
      [fin, fout],
      denseFromOnnx(w.data, fin, fout, transposed, alpha, x.order),
    ),
  };
  if (bias) params.bias = ctx.param(name, 'bias', [fout], bias);
  ctx.addNode({
    name,
    op: 'dense',
    inputs: [x.ir],
    attrs: { units: fout },
    params: params as { weight: string },
  });
  ctx.setChannelsFirst(node.output?.[0], name, [fout]);
}

export function importGemm(ctx: ImportContext, node: INode, where: string): void {
  const a = ctx.attrs(node);
  if (a.int('transA', 0) !== 0) throw new OnnxError('UNSUPPORTED', 'Gemm with transA = 1', where);
  const w = ctx.constant(node.input?.[1], where, 'B');
  const c = ctx.optionalConstant(node.input?.[2], where, 'C');
  const transposed = a.int('transB', 0) === 1;
  const fout = transposed ? (w.dims[0] ?? 0) : (w.dims[1] ?? 0);
  let bias: Float32Array | null = null;
  if (c) {
    const beta = a.float('beta', 1);
    if (numel(c) !== fout && numel(c) !== 1)
      throw new OnnxError('SHAPE_MISMATCH', `C has ${numel(c)} values for ${fout} outputs`, where);
    bias = Float32Array.from({ length: fout }, (_, i) => beta * c.data[numel(c) === 1 ? 0 : i]!);
  }
  dense(ctx, node, where, w, transposed, a.float('alpha', 1), bias);
}

export function importMatMul(ctx: ImportContext, node: INode, where: string): void {
  dense(
    ctx,
    node,
    where,
    ctx.constant(node.input?.[1], where, 'weight (second MatMul input)'),
    false,
    1,
    null,
  );
}

export function importBatchNorm(ctx: ImportContext, node: INode, where: string): void {
  const a = ctx.attrs(node);
  if (a.int('training_mode', 0) !== 0)
    throw new OnnxError('UNSUPPORTED', 'BatchNormalization in training mode', where);
  if ((node.output ?? []).slice(1).some((o) => o !== ''))
    throw new OnnxError('UNSUPPORTED', 'BatchNormalization with running-statistics outputs', where);
  const x = ctx.value(node.input?.[0], where);
  const roles = ['gamma', 'beta', 'mean', 'variance'] as const;
  const ts = roles.map((r, i) => ctx.constant(node.input?.[i + 1], where, r));
  const c = x.shape[0]!;
  if (ts.some((t) => numel(t) !== c))
    throw new OnnxError('SHAPE_MISMATCH', `statistics must hold ${c} values (channels)`, where);
  let input: string;
  let order: Int32Array | null = null;
  if (x.shape.length === 1) {
    const v = ctx.vector(x, where);
    input = v.ir;
    order = v.order;
  } else input = ctx.channelsLast(x, where).ir;
  const name = ctx.name(node.name || node.output?.[0] || 'bn');
  const data = (t: ConstTensor): Float32Array => {
    const out = new Float32Array(c);
    for (let i = 0; i < c; i++) out[order === null ? i : order[i]!] = t.data[i]!;
    return out;
  };
  const p = roles.map((r, i) => ctx.param(name, r, [c], data(ts[i]!)));
  ctx.addNode({
    name,
    op: 'batchNorm',
    inputs: [input],
    attrs: { epsilon: a.float('epsilon', 1e-5), momentum: 1 - a.float('momentum', 0.9) },
    params: { gamma: p[0]!, beta: p[1]!, mean: p[2]!, variance: p[3]! },
  });
  if (x.shape.length === 1) {
    const out = node.output?.[0];
    if (out) ctx.values.set(out, { ir: name, irShape: [c], shape: [c], order });
  } else ctx.setChannelsFirst(node.output?.[0], name, ctx.outShape(name));
}

export function importPool(ctx: ImportContext, node: INode, where: string): void {
  const a = ctx.attrs(node);
  const max = node.opType === 'MaxPool';
  if ((node.output ?? []).slice(1).some((o) => o !== ''))
    throw new OnnxError('UNSUPPORTED', 'MaxPool with an Indices output', where);
  const x = ctx.value(node.input?.[0], where);
  const k = x.shape.length - 1;
  if (k < 1 || k > 2) throw new OnnxError('UNSUPPORTED', `${k}-D pooling`, where);
  const { ir, shape } = ctx.channelsLast(x, where);
  const spatial = shape.slice(0, -1);
  const kernel = a.ints('kernel_shape');
  if (!kernel || kernel.length !== k)
    throw new OnnxError('MALFORMED', 'kernel_shape is missing or of the wrong length', where);
  const strides = spatialInts(a, 'strides', k, 1, where);
  const ones = new Array<number>(k).fill(1);
  if (spatialInts(a, 'dilations', k, 1, where).some((d) => d !== 1))
    throw new OnnxError('UNSUPPORTED', 'dilated pooling', where);
  const pad = padding(a, where, spatial, kernel, strides, ones);
  if (a.int('ceil_mode', 0) === 1) {
    const pads = onnxPads(spatial, kernel, strides, ones, pad);
    const exact = spatial.every((len, d) => (len + pads[d]! + pads[d + k]! - kernel[d]!) % strides[d]! === 0);
    if (!exact) throw new OnnxError('UNSUPPORTED', 'ceil_mode = 1 where it changes the output size', where);
  }
  if (!max && pad === 'same' && a.int('count_include_pad', 0) !== 0)
    throw new OnnxError('UNSUPPORTED', 'AveragePool with count_include_pad = 1 and padding', where);
  const name = ctx.name(node.name || node.output?.[0] || 'pool');
  ctx.addNode({
    name,
    op: max ? 'maxPool' : 'avgPool',
    inputs: [ir],
    attrs: { kernel, strides, padding: pad },
    params: {},
  });
  ctx.setChannelsFirst(node.output?.[0], name, ctx.outShape(name));
}
