/**
 * Import of weightless ops. Layout-only ops (Flatten, Reshape, Transpose, Identity, Dropout) create no
 * TinyFleet node: they change the ONNX shape and element order recorded for the same TinyFleet value.
 */
import { OnnxError } from './errors.js';
import type { ImportContext, Mapped } from './import-context.js';
import { concatConstants } from './import-shape.js';
import { sameOrder, transposeOrder } from './layout.js';
import type { INode } from './proto.js';

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

function out(node: INode): string | undefined {
  return node.output?.[0] || undefined;
}

function alias(
  ctx: ImportContext,
  node: INode,
  m: Mapped,
  shape: readonly number[],
  order: Mapped['order'],
): void {
  const o = out(node);
  if (o) ctx.values.set(o, { ...m, shape, order });
}

/** Element-wise op: a TinyFleet node of the same shape; the ONNX layout carries over. */
function elementwise(ctx: ImportContext, node: INode, where: string, op: 'relu' | 'relu6'): void {
  const m = ctx.value(node.input?.[0], where);
  const name = ctx.addNode(
    { name: ctx.name(node.name || out(node) || op), op, inputs: [m.ir], attrs: {}, params: {} },
    where,
  );
  const o = out(node);
  if (o) ctx.values.set(o, { ...m, ir: name });
}

export function importRelu(ctx: ImportContext, node: INode, where: string): void {
  elementwise(ctx, node, where, 'relu');
}

export function importClip(ctx: ImportContext, node: INode, where: string): void {
  const a = ctx.attrs(node);
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  if (ctx.opset < 11) {
    lo = a.float('min', lo);
    hi = a.float('max', hi);
  } else {
    const min = ctx.optionalConstant(node.input?.[1], where, 'min');
    const max = ctx.optionalConstant(node.input?.[2], where, 'max');
    if (min) lo = min.data[0] ?? lo;
    if (max) hi = max.data[0] ?? hi;
  }
  if (lo === 0 && hi === 6) elementwise(ctx, node, where, 'relu6');
  else if (lo === 0 && hi === Number.POSITIVE_INFINITY) elementwise(ctx, node, where, 'relu');
  else
    throw new OnnxError('UNSUPPORTED', `Clip(min ${lo}, max ${hi}); only Clip(0, 6) and Clip(0, inf)`, where);
}

export function importIdentity(ctx: ImportContext, node: INode, where: string): void {
  const src = node.input?.[0];
  if (src && ctx.isConst(src)) {
    const o = out(node);
    if (o) ctx.consts.set(o, ctx.constant(src, where, 'input'));
    return;
  }
  if (node.opType === 'Dropout') {
    if ((node.output ?? []).slice(1).some((o) => o !== ''))
      throw new OnnxError('UNSUPPORTED', 'Dropout with a mask output', where);
    const training = ctx.optionalConstant(node.input?.[2], where, 'training_mode');
    if (training && training.data[0] !== 0)
      throw new OnnxError('UNSUPPORTED', 'Dropout in training mode', where);
  }
  const m = ctx.value(src, where);
  alias(ctx, node, m, m.shape, m.order);
}

export function importFlatten(ctx: ImportContext, node: INode, where: string): void {
  const m = ctx.value(node.input?.[0], where);
  const rank = m.shape.length + 1;
  let axis = ctx.attrs(node).int('axis', 1);
  if (axis < 0) axis += rank;
  if (axis !== 1)
    throw new OnnxError('UNSUPPORTED', `Flatten axis ${axis} (only 1: keep the batch axis)`, where);
  alias(ctx, node, m, [size(m.shape)], m.order);
}

/** The first axis of the target shape is the batch axis (0, -1 or the exported batch size). */
export function importReshape(ctx: ImportContext, node: INode, where: string): void {
  const m = ctx.value(node.input?.[0], where);
  let target: number[];
  if (ctx.opset < 5) target = ctx.attrs(node).ints('shape') ?? [];
  else {
    const t = ctx.constant(node.input?.[1], where, 'shape');
    if (!t.isInt || t.dims.length !== 1)
      throw new OnnxError('MALFORMED', 'shape must be a 1-D int64 tensor', where);
    target = Array.from(t.data);
  }
  if (ctx.attrs(node).int('allowzero', 0) === 1 && target.includes(0))
    throw new OnnxError('UNSUPPORTED', 'Reshape with allowzero = 1 and a zero dimension', where);
  if (target.length < 2)
    throw new OnnxError('UNSUPPORTED', `Reshape to [${target.join(', ')}] merges the batch axis`, where);
  const rest = target.slice(1).map((d, i) => (d === 0 ? (m.shape[i] ?? 0) : d));
  const total = size(m.shape);
  const unknown = rest.filter((d) => d === -1).length;
  const known = size(rest.filter((d) => d !== -1));
  const resolved = rest.map((d) => (d === -1 ? total / known : d));
  if (unknown > 1 || resolved.some((d) => !Number.isInteger(d) || d < 1) || size(resolved) !== total) {
    throw new OnnxError(
      'SHAPE_MISMATCH',
      `cannot reshape [N, ${m.shape.join(', ')}] to [${target.join(', ')}]`,
      where,
    );
  }
  alias(ctx, node, m, resolved, m.order);
}

export function importTranspose(ctx: ImportContext, node: INode, where: string): void {
  const m = ctx.value(node.input?.[0], where);
  const rank = m.shape.length + 1;
  const perm = ctx.attrs(node).ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const valid = perm.length === rank && [...perm].sort((x, y) => x - y).every((p, i) => p === i);
  if (!valid) throw new OnnxError('MALFORMED', `perm [${perm.join(', ')}] for a rank-${rank} input`, where);
  if (perm[0] !== 0) throw new OnnxError('UNSUPPORTED', 'Transpose that moves the batch axis', where);
  const p = perm.slice(1).map((d) => d - 1);
  alias(
    ctx,
    node,
    m,
    p.map((d) => m.shape[d]!),
    transposeOrder(m.order, m.shape, p),
  );
}

export function importGlobalAvgPool(ctx: ImportContext, node: INode, where: string): void {
  const m = ctx.value(node.input?.[0], where);
  if (m.shape.length < 2)
    throw new OnnxError('SHAPE_MISMATCH', 'GlobalAveragePool needs spatial axes', where);
  const { ir } = ctx.channelsLast(m, where);
  const name = ctx.addNode(
    {
      name: ctx.name(node.name || out(node) || 'gap'),
      op: 'globalAvgPool',
      inputs: [ir],
      attrs: {},
      params: {},
    },
    where,
  );
  const o = out(node);
  const c = m.shape[0]!;
  if (o)
    ctx.values.set(o, { ir: name, irShape: [c], shape: [c, ...m.shape.slice(1).map(() => 1)], order: null });
}

export function importSoftmax(ctx: ImportContext, node: INode, where: string): void {
  const m = ctx.value(node.input?.[0], where);
  const rank = m.shape.length + 1;
  let axis = ctx.attrs(node).int('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  const name = ctx.name(node.name || out(node) || 'softmax');
  if (m.shape.length === 1 && axis === 1) {
    const v = ctx.vector(m, where);
    ctx.addNode({ name, op: 'softmax', inputs: [v.ir], attrs: {}, params: {} }, where);
    alias(ctx, node, { ...m, ir: name, irShape: [v.size] }, m.shape, m.order);
    return;
  }
  if (axis !== 1 || ctx.opset < 13)
    throw new OnnxError(
      'UNSUPPORTED',
      `Softmax over axis ${axis} of a rank-${rank} input (opset ${ctx.opset})`,
      where,
    );
  const { ir, shape } = ctx.channelsLast(m, where);
  ctx.addNode({ name, op: 'softmax', inputs: [ir], attrs: {}, params: {} }, where);
  ctx.setChannelsFirst(out(node), name, shape);
}

export function importConcat(ctx: ImportContext, node: INode, where: string): void {
  if ((node.input ?? []).every((i) => ctx.isConst(i))) {
    concatConstants(ctx, node, where);
    return;
  }
  const ins = (node.input ?? []).map((i) => ctx.value(i, where));
  if (ins.length === 1) {
    alias(ctx, node, ins[0]!, ins[0]!.shape, ins[0]!.order);
    return;
  }
  const rank = (ins[0]?.shape.length ?? 0) + 1;
  let axis = ctx.attrs(node).int('axis', 1);
  if (axis < 0) axis += rank;
  if (axis !== 1)
    throw new OnnxError('UNSUPPORTED', `Concat along axis ${axis} (only the channel axis 1)`, where);
  const name = ctx.name(node.name || out(node) || 'concat');
  if (rank === 2) {
    if (ins.some((m) => m.order !== null))
      throw new OnnxError('UNSUPPORTED', 'Concat of reordered vectors', where);
    const irs = ins.map((m) => ctx.vector(m, where).ir);
    ctx.addNode({ name, op: 'concat', inputs: irs, attrs: {}, params: {} }, where);
  } else {
    const irs = ins.map((m) => ctx.channelsLast(m, where).ir);
    ctx.addNode({ name, op: 'concat', inputs: irs, attrs: {}, params: {} }, where);
  }
  ctx.setChannelsFirst(out(node), name, ctx.outShape(name));
}

/** Add of two data values (residual), or data + constant folded into the bias of the producing layer. */
export function importAdd(ctx: ImportContext, node: INode, where: string): void {
  const [a, b] = [node.input?.[0], node.input?.[1]];
  if (!a || !b) throw new OnnxError('MALFORMED', 'Add needs two inputs', where);
  if (ctx.isConst(a) || ctx.isConst(b)) {
    foldBias(ctx, node, where, ctx.isConst(a) ? b : a, ctx.isConst(a) ? a : b);
    return;
  }
  const [x, y] = [ctx.value(a, where), ctx.value(b, where)];
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i]))
    throw new OnnxError(
      'SHAPE_MISMATCH',
      `Add of [N, ${x.shape.join(', ')}] and [N, ${y.shape.join(', ')}] (no broadcasting)`,
      where,
    );
  const name = ctx.name(node.name || out(node) || 'add');
  if (sameOrder(x.order, y.order)) {
    ctx.addNode(
      { name, op: 'add', inputs: [x.ir, ctx.reshaped(y, x.irShape)], attrs: {}, params: {} },
      where,
    );
    alias(ctx, node, { ...x, ir: name }, x.shape, x.order);
    return;
  }
  const [cx, cy] = [ctx.channelsLast(x, where), ctx.channelsLast(y, where)];
  ctx.addNode({ name, op: 'add', inputs: [cx.ir, cy.ir], attrs: {}, params: {} }, where);
  ctx.setChannelsFirst(out(node), name, cx.shape);
}

function foldBias(ctx: ImportContext, node: INode, where: string, data: string, constant: string): void {
  const m = ctx.value(data, where);
  const c = ctx.constant(constant, where, 'addend');
  const idx = ctx.nodes.findIndex((n) => n.name === m.ir);
  const producer = ctx.nodes[idx];
  const channels = m.shape[0]!;
  const biasable =
    producer &&
    (producer.op === 'dense' ||
      producer.op === 'conv2d' ||
      producer.op === 'conv1d' ||
      producer.op === 'depthwiseConv2d') &&
    !producer.params.bias &&
    ctx.uses.get(data) === 1 &&
    (m.shape.length === 1 ? m.order === null : true);
  const k = c.dims.length;
  const fits = c.data.length === channels && k >= m.shape.length && c.dims[k - m.shape.length] === channels;
  if (!biasable || !fits) {
    throw new OnnxError(
      'UNSUPPORTED',
      'Add of a constant is only supported as the bias of a preceding MatMul or Conv without bias',
      where,
    );
  }
  const key = ctx.param(producer.name, 'bias', [channels], Float32Array.from(c.data));
  ctx.nodes[idx] = { ...producer, params: { ...producer.params, bias: key } } as typeof producer;
  alias(ctx, node, m, m.shape, m.order);
}
