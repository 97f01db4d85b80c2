/**
 * The small shape computations `torch.onnx.export` emits for `x.view(x.size(0), -1)` with a dynamic
 * batch: Shape -> Gather -> Unsqueeze -> Concat -> Reshape. They are evaluated at import time on
 * constant int tensors; the batch size is unknown and held as NaN (Reshape reads its first entry
 * as the batch axis anyway).
 */
import { OnnxError } from './errors.js';
import type { ImportContext } from './import-context.js';
import type { ConstTensor, INode } from './proto.js';

function set(ctx: ImportContext, node: INode, c: ConstTensor): void {
  const o = node.output?.[0];
  if (o) ctx.consts.set(o, c);
}

export function importShape(ctx: ImportContext, node: INode, where: string): void {
  const m = ctx.value(node.input?.[0], where);
  const a = ctx.attrs(node);
  const full = [Number.NaN, ...m.shape];
  const rank = full.length;
  const norm = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const dims = full.slice(norm(a.int('start', 0)), a.has('end') ? norm(a.int('end', rank)) : rank);
  set(ctx, node, { dims: [dims.length], data: Float64Array.from(dims), isInt: true });
}

export function importGather(ctx: ImportContext, node: INode, where: string): void {
  const data = ctx.constant(node.input?.[0], where, 'data');
  const idx = ctx.constant(node.input?.[1], where, 'indices');
  if (data.dims.length !== 1 || ctx.attrs(node).int('axis', 0) !== 0 || idx.dims.length > 1)
    throw new OnnxError('UNSUPPORTED', 'Gather other than picking entries of a 1-D shape tensor', where);
  const n = data.data.length;
  const picked = Array.from(idx.data, (i) => {
    const j = i < 0 ? i + n : i;
    if (!(j >= 0 && j < n)) throw new OnnxError('MALFORMED', `Gather index ${i} out of range`, where);
    return data.data[j]!;
  });
  set(ctx, node, {
    dims: idx.dims.length === 0 ? [] : [picked.length],
    data: Float64Array.from(picked),
    isInt: data.isInt,
  });
}

export function importUnsqueeze(ctx: ImportContext, node: INode, where: string): void {
  const data = ctx.constant(node.input?.[0], where, 'data');
  const axes =
    ctx.opset >= 13
      ? Array.from(ctx.constant(node.input?.[1], where, 'axes').data)
      : (ctx.attrs(node).ints('axes') ?? []);
  const rank = data.dims.length + axes.length;
  const at = new Set(axes.map((x) => (x < 0 ? x + rank : x)));
  const dims: number[] = [];
  let k = 0;
  for (let d = 0; d < rank; d++) dims.push(at.has(d) ? 1 : data.dims[k++]!);
  if (k !== data.dims.length)
    throw new OnnxError('MALFORMED', `bad Unsqueeze axes [${axes.join(', ')}]`, where);
  set(ctx, node, { ...data, dims });
}

/** Concat of constant tensors along axis 0 (shape vectors). */
export function concatConstants(ctx: ImportContext, node: INode, where: string): void {
  const parts = (node.input ?? []).map((i) => ctx.constant(i, where, 'input'));
  if (parts.some((p) => p.dims.length !== 1))
    throw new OnnxError('UNSUPPORTED', 'Concat of constants other than 1-D vectors', where);
  const values = parts.flatMap((p) => Array.from(p.data));
  set(ctx, node, {
    dims: [values.length],
    data: Float64Array.from(values),
    isInt: parts.every((p) => p.isInt),
  });
}
