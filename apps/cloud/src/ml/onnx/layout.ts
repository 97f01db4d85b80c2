/**
 * Element-order bookkeeping between TinyFleet values (NHWC, channels last) and ONNX values (NCHW,
 * channels first). An `order` maps an ONNX per-sample flat index i to the TinyFleet flat index
 * `order[i]` holding the same element; `null` means the identity.
 */
import type { Shape } from '../graph/types.js';

export type Order = Int32Array | null;

function size(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** IR `[...S, C]` <-> ONNX `[C, ...S]`: null when the orders coincide (C = 1 or S all ones). */
export function channelsFirstOrder(irShape: Shape): Order {
  const c = irShape[irShape.length - 1] ?? 1;
  const p = size(irShape) / c;
  if (irShape.length < 2 || c === 1 || p === 1) return null;
  const out = new Int32Array(c * p);
  for (let ch = 0; ch < c; ch++) for (let s = 0; s < p; s++) out[ch * p + s] = s * c + ch;
  return out;
}

/** IR shape `[...S, C]` -> ONNX per-sample shape `[C, ...S]`. */
export function toChannelsFirst(irShape: Shape): number[] {
  if (irShape.length < 2) return [...irShape];
  return [irShape[irShape.length - 1]!, ...irShape.slice(0, -1)];
}

/** ONNX per-sample `[C, ...S]` -> IR `[...S, C]`. */
export function toChannelsLast(shape: Shape): number[] {
  if (shape.length < 2) return [...shape];
  return [...shape.slice(1), shape[0]!];
}

export function sameOrder(a: Order, b: Order): boolean {
  if (a === null || b === null) return a === b || isIdentity(a ?? b);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isIdentity(o: Order): boolean {
  if (o === null) return true;
  for (let i = 0; i < o.length; i++) if (o[i] !== i) return false;
  return true;
}

/**
 * Order after an ONNX Transpose of a per-sample tensor of `shape` by `perm` (per-sample axes):
 * output element at multi-index j takes input element at the index with in[perm[k]] = j[k].
 */
export function transposeOrder(order: Order, shape: Shape, perm: readonly number[]): Order {
  const n = size(shape);
  const rank = shape.length;
  const inStrides = new Array<number>(rank).fill(1);
  for (let k = rank - 2; k >= 0; k--) inStrides[k] = inStrides[k + 1]! * shape[k + 1]!;
  const outShape = perm.map((p) => shape[p]!);
  const out = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let j = 0; j < n; j++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += idx[k]! * inStrides[perm[k]!]!;
    out[j] = order === null ? src : order[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      if (idx[k]! < outShape[k]!) break;
      idx[k] = 0;
    }
  }
  return isIdentity(out) ? null : out;
}

/** Data of an NHWC batch (`[N, ...S, C]`) in NCHW order, and back. */
export function nhwcToNchw(data: Float32Array, irShape: Shape): Float32Array {
  return permuteBatch(data, irShape, channelsFirstOrder(irShape), true);
}

export function nchwToNhwc(data: Float32Array, irShape: Shape): Float32Array {
  return permuteBatch(data, irShape, channelsFirstOrder(irShape), false);
}

function permuteBatch(data: Float32Array, irShape: Shape, order: Order, toOnnx: boolean): Float32Array {
  if (order === null) return data.slice();
  const n = size(irShape);
  const out = new Float32Array(data.length);
  for (let b = 0; b < data.length / n; b++) {
    const base = b * n;
    for (let i = 0; i < n; i++) {
      if (toOnnx) out[base + i] = data[base + order[i]!]!;
      else out[base + order[i]!] = data[base + i]!;
    }
  }
  return out;
}
