/** Window geometry shared by convolutions and pools; 1-D ops map to 2-D with H = 1. */
import { outLength, padBefore } from '../../graph/shapes.js';
import type { Padding, Shape } from '../../graph/types.js';

export interface Geometry {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly padT: number;
  readonly padL: number;
}

export function geometry(
  x: Shape,
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[] | undefined,
  padding: Padding,
): Geometry {
  const oneD = x.length === 2;
  const h = oneD ? 1 : x[0]!;
  const w = oneD ? x[0]! : x[1]!;
  const c = x[x.length - 1]!;
  const kh = oneD ? 1 : kernel[0]!;
  const kw = oneD ? kernel[0]! : kernel[1]!;
  const sh = oneD ? 1 : strides[0]!;
  const sw = oneD ? strides[0]! : strides[1]!;
  const d = dilation ?? [1, 1];
  const dh = oneD ? 1 : d[0]!;
  const dw = oneD ? d[0]! : d[1]!;
  return {
    h,
    w,
    c,
    kh,
    kw,
    sh,
    sw,
    dh,
    dw,
    oh: outLength(h, kh, sh, dh, padding),
    ow: outLength(w, kw, sw, dw, padding),
    padT: padBefore(h, kh, sh, dh, padding),
    padL: padBefore(w, kw, sw, dw, padding),
  };
}
