/** Per-kind shape, dtype and quantization-axis rules of ops (PROTOCOL.md §5.4 table 5.4.3). */
import { check } from './bytes.js';
import type { ArtifactOp, Padding, ParsedTensor } from './types.js';

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const elems = (s: readonly number[]) => s.reduce((n, d) => n * d, 1);
const is8bit = (t: ParsedTensor) => t.dtype === 'UINT8' || t.dtype === 'INT8';

/** Output length along one axis: floor((in + pads - dilation * (k - 1) - 1) / stride) + 1. */
function outLen(
  inLen: number,
  k: number,
  stride: number,
  dilation: number,
  padA: number,
  padB: number,
): number {
  const span = dilation * (k - 1) + 1;
  const n = inLen + padA + padB - span;
  return n < 0 ? 0 : Math.floor(n / stride) + 1;
}

function checkPad(pad: Padding, kh: number, kw: number, dh: number, dw: number, what: string): void {
  const eh = dh * (kh - 1);
  const ew = dw * (kw - 1);
  check(
    pad.top <= eh && pad.bottom <= eh && pad.left <= ew && pad.right <= ew,
    'OUT_OF_RANGE',
    `${what}: padding larger than the kernel`,
  );
}

function rank(t: ParsedTensor, r: number, what: string): readonly number[] {
  check(t.shape.length === r, 'MALFORMED', `${what}: tensor ${t.id} must have rank ${r}`);
  return t.shape;
}

/** Weights and bias of conv/depthwise/conv1d/dense: dtypes, bias shape, per-channel axis. */
function checkWeights(
  x: ParsedTensor,
  w: ParsedTensor,
  b: ParsedTensor | undefined,
  cout: number,
  outAxis: number,
  what: string,
): void {
  const float = x.dtype === 'FLOAT32';
  check(float ? w.dtype === 'FLOAT32' : is8bit(w), 'BAD_FIELD', `${what}: weight dtype ${w.dtype}`);
  if (w.quant.kind === 'PER_CHANNEL') {
    check(w.quant.axis === outAxis, 'BAD_FIELD', `${what}: weight channel axis must be ${outAxis}`);
  }
  if (!b) return;
  check(b.dtype === (float ? 'FLOAT32' : 'INT32'), 'BAD_FIELD', `${what}: bias dtype ${b.dtype}`);
  check(same(b.shape, [cout]), 'MALFORMED', `${what}: bias shape must be [${cout}]`);
  if (b.quant.kind === 'PER_CHANNEL') check(b.quant.axis === 0, 'BAD_FIELD', `${what}: bias channel axis`);
}

function checkSpatial(op: ArtifactOp, tensors: readonly ParsedTensor[], what: string): void {
  const [xi, wi, bi] = op.inputs;
  const x = tensors[xi!]!;
  const y = tensors[op.output]!;
  check(x.dtype === y.dtype, 'BAD_FIELD', `${what}: output dtype differs from input`);
  check(x.dtype !== 'INT32', 'BAD_FIELD', `${what}: INT32 activations`);
  switch (op.kind) {
    case 'CONV2D':
    case 'DEPTHWISE_CONV2D': {
      const w = tensors[wi!]!;
      const [n, h, wd, c] = rank(x, 4, what) as [number, number, number, number];
      const [o, kh, kw, wc] = rank(w, 4, what) as [number, number, number, number];
      const depthwise = op.kind === 'DEPTHWISE_CONV2D';
      const cout = depthwise ? c : o;
      check(depthwise ? o === 1 && wc === c : wc === c, 'MALFORMED', `${what}: weight shape [${w.shape}]`);
      checkWeights(x, w, bi === undefined ? undefined : tensors[bi], cout, depthwise ? 3 : 0, what);
      checkPad(op.padding, kh, kw, op.dilationH, op.dilationW, what);
      const oh = outLen(h, kh, op.strideH, op.dilationH, op.padding.top, op.padding.bottom);
      const ow = outLen(wd, kw, op.strideW, op.dilationW, op.padding.left, op.padding.right);
      check(oh >= 1 && ow >= 1 && same(y.shape, [n, oh, ow, cout]), 'MALFORMED', `${what}: output shape`);
      return;
    }
    case 'CONV1D': {
      const w = tensors[wi!]!;
      const [n, len, c] = rank(x, 3, what) as [number, number, number];
      const [o, kw, wc] = rank(w, 3, what) as [number, number, number];
      check(wc === c, 'MALFORMED', `${what}: weight shape [${w.shape}]`);
      checkWeights(x, w, bi === undefined ? undefined : tensors[bi], o, 0, what);
      const p = op.padding;
      check(
        op.strideH === 1 && op.dilationH === 1 && p.top === 0 && p.bottom === 0,
        'BAD_FIELD',
        `${what}: H`,
      );
      checkPad(p, 1, kw, 1, op.dilationW, what);
      const ow = outLen(len, kw, op.strideW, op.dilationW, p.left, p.right);
      check(ow >= 1 && same(y.shape, [n, ow, o]), 'MALFORMED', `${what}: output shape`);
      return;
    }
    case 'DENSE': {
      const w = tensors[wi!]!;
      check(x.shape.length >= 2, 'MALFORMED', `${what}: input rank must be >= 2`);
      const [o, i] = rank(w, 2, what) as [number, number];
      check(elems(x.shape.slice(1)) === i, 'MALFORMED', `${what}: input has not ${i} features`);
      checkWeights(x, w, bi === undefined ? undefined : tensors[bi], o, 0, what);
      check(same(y.shape, [x.shape[0]!, o]), 'MALFORMED', `${what}: output shape`);
      return;
    }
    case 'MAXPOOL2D':
    case 'AVGPOOL2D': {
      const [n, h, wd, c] = rank(x, 4, what) as [number, number, number, number];
      checkPad(op.padding, op.windowH, op.windowW, 1, 1, what);
      const oh = outLen(h, op.windowH, op.strideH, 1, op.padding.top, op.padding.bottom);
      const ow = outLen(wd, op.windowW, op.strideW, 1, op.padding.left, op.padding.right);
      check(oh >= 1 && ow >= 1 && same(y.shape, [n, oh, ow, c]), 'MALFORMED', `${what}: output shape`);
      return;
    }
    case 'GLOBAL_AVGPOOL': {
      const [n, , , c] = rank(x, 4, what) as [number, number, number, number];
      check(same(y.shape, [n, 1, 1, c]) || same(y.shape, [n, c]), 'MALFORMED', `${what}: output shape`);
      return;
    }
    default:
      return;
  }
}

/** Checks one op against the shapes, dtypes and quantization of its tensors. */
export function checkOpShapes(op: ArtifactOp, tensors: readonly ParsedTensor[], what: string): void {
  const y = tensors[op.output]!;
  const xs = op.inputs.map((id) => tensors[id]!);
  const x = xs[0]!;
  switch (op.kind) {
    case 'RELU':
    case 'RELU6':
    case 'SOFTMAX':
    case 'ADD':
      for (const t of xs) check(same(t.shape, y.shape), 'MALFORMED', `${what}: shapes differ`);
      for (const t of xs) check(t.dtype === y.dtype, 'BAD_FIELD', `${what}: dtypes differ`);
      check(y.dtype !== 'INT32', 'BAD_FIELD', `${what}: INT32 activations`);
      return;
    case 'RESHAPE':
      check(elems(x.shape) === elems(y.shape), 'MALFORMED', `${what}: element counts differ`);
      check(x.dtype === y.dtype, 'BAD_FIELD', `${what}: dtypes differ`);
      // OP_KINDS: no data movement, so the output aliases the input in the arena.
      check(x.arenaOffset === y.arenaOffset, 'BAD_FIELD', `${what}: output must alias the input`);
      return;
    case 'CONCAT': {
      const axis = op.axis;
      check(axis < y.shape.length, 'OUT_OF_RANGE', `${what}: axis ${axis} >= rank`);
      let total = 0;
      for (const t of xs) {
        const rest = (s: readonly number[]) => s.filter((_, i) => i !== axis);
        check(
          t.shape.length === y.shape.length && same(rest(t.shape), rest(y.shape)),
          'MALFORMED',
          `${what}: shape`,
        );
        check(t.dtype === y.dtype, 'BAD_FIELD', `${what}: dtypes differ`);
        total += t.shape[axis]!;
      }
      check(
        total === y.shape[axis],
        'MALFORMED',
        `${what}: output ${y.shape[axis]} != sum ${total} along axis`,
      );
      return;
    }
    default:
      checkSpatial(op, tensors, what);
  }
}
