/** Weight layout conversions from ONNX (output channels first) to TinyFleet (channels last). */
import type { Order } from './layout.js';

/** `[M, Cin, ...K]` -> conv `[...K, Cin, M]`, or with `depthwise` `[C, 1, ...K]` -> `[...K, C]`. */
export function convShapeFromOnnx(dims: readonly number[], depthwise: boolean): number[] {
  const [m, cin] = [dims[0]!, dims[1]!];
  const kdims = dims.slice(2);
  return depthwise ? [...kdims, m] : [...kdims, cin, m];
}

export function convDataFromOnnx(dims: readonly number[], data: Float32Array): Float32Array {
  const [m, cin] = [dims[0]!, dims[1]!];
  const k = dims.slice(2).reduce((p, d) => p * d, 1);
  const out = new Float32Array(data.length);
  for (let o = 0; o < m; o++)
    for (let i = 0; i < cin; i++)
      for (let s = 0; s < k; s++) out[(s * cin + i) * m + o] = data[(o * cin + i) * k + s]!;
  return out;
}

/**
 * Dense weight `[In, Out]` from an ONNX matrix (`[In, Out]`, or `[Out, In]` with `transposed`),
 * scaled by `alpha`, with row i moved to row order[i] (the TinyFleet element feeding it).
 */
export function denseFromOnnx(
  data: Float32Array | Float64Array,
  fin: number,
  fout: number,
  transposed: boolean,
  alpha: number,
  order: Order,
): Float32Array {
  const out = new Float32Array(fin * fout);
  for (let i = 0; i < fin; i++) {
    const row = order === null ? i : order[i]!;
    for (let o = 0; o < fout; o++)
      out[row * fout + o] = alpha * data[transposed ? o * fin + i : i * fout + o]!;
  }
  return out;
}
