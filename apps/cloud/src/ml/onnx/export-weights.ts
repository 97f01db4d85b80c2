/** Weight layout conversions from TinyFleet (channels last) to ONNX (output channels first). */
import { outLength, padBefore } from '../graph/shapes.js';
import type { Padding, Shape, Tensor } from '../graph/types.js';
import type { Order } from './layout.js';

/** conv `[...K, Cin, Cout]` -> `[Cout, Cin, ...K]`; depthwise `[...K, C]` -> `[C, 1, ...K]`. */
export function convWeight(w: Tensor, depthwise: boolean): { dims: number[]; data: Float32Array } {
  const kdims = w.shape.slice(0, depthwise ? -1 : -2);
  const k = kdims.reduce((p, d) => p * d, 1);
  const cin = depthwise ? 1 : w.shape[w.shape.length - 2]!;
  const cout = w.shape[w.shape.length - 1]!;
  const out = new Float32Array(w.data.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let s = 0; s < k; s++) out[(o * cin + i) * k + s] = w.data[(s * cin + i) * cout + o]!;
  return { dims: [cout, cin, ...kdims], data: out };
}

/** dense `[In, Out]` with rows reordered so ONNX input element i meets the row of IR element order[i]. */
export function denseWeight(w: Tensor, order: Order): Float32Array {
  if (order === null) return w.data;
  const [fin, fout] = [w.shape[0]!, w.shape[1]!];
  const out = new Float32Array(w.data.length);
  for (let i = 0; i < fin; i++) out.set(w.data.subarray(order[i]! * fout, (order[i]! + 1) * fout), i * fout);
  return out;
}

/** ONNX `pads` [b1, b2, ..., e1, e2, ...] that reproduce TinyFleet's same/valid padding exactly. */
export function onnxPads(
  spatial: Shape,
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
  padding: Padding,
): number[] {
  const begin: number[] = [];
  const end: number[] = [];
  spatial.forEach((len, d) => {
    const [k, s, dil] = [kernel[d]!, strides[d]!, dilation[d]!];
    if (padding === 'valid') {
      begin.push(0);
      end.push(0);
      return;
    }
    const out = outLength(len, k, s, dil, padding);
    const total = Math.max(0, (out - 1) * s + (k - 1) * dil + 1 - len);
    const b = padBefore(len, k, s, dil, padding);
    begin.push(b);
    end.push(total - b);
  });
  return [...begin, ...end];
}
