/**
 * FQT backward / update kernel vectors (PROTOCOL.md §6.6, field list in §6.6.11): error propagation
 * with range tracking (CONV2D, DEPTHWISE_CONV2D, DENSE, AVGPOOL2D), weight gradients per structure,
 * activation masks, MAXPOOL2D routing, the loss and logits error from the integer softmax, top-k
 * selection, gradient standardization with the weight update and requantization (nearest and
 * stochastic rounding). Every file is named `fqt-*` and carries a rank-0 `fqt_kernel` field; the
 * header op kind is the forward op the kernel belongs to. Expected values come from the cloud's FQT
 * reference (`@tinyfleet/cloud/fqt`), a dev-time dependency of this generator only.
 */

import {
  activationMask,
  avgPoolBackward,
  center,
  convBackwardInput,
  convWeightGrad,
  denseBackwardInput,
  denseWeightGrad,
  depthwiseBackwardInput,
  depthwiseWeightGrad,
  elementIndex,
  type LayerParams,
  maxPoolBackward,
  outputError,
  quantizeAccumulators,
  standardize,
  topK,
  type UpdateRule,
  updateLayer,
  Xorshift32,
} from '@tinyfleet/cloud/fqt';
import { deriveRequant } from '@tinyfleet/cloud/quant';
import type { OpKindName } from '../../src/constants/index.js';
import { updatedStructures } from '../../src/messages/index.js';
import { f32, type NnCase, Rng, requantFields, scalar, scales, tensor } from './nn-case.js';
import type { Field } from './nn-container.js';
import { logitsCases } from './nn-fqt-logits.js';
import { NO_PAD, out, type Pad } from './nn-weighted.js';

/** Values of the `fqt_kernel` field (PROTOCOL.md §6.6.11). */
export const FQT_KERNEL = {
  EPROP: 1,
  WGRAD: 2,
  UPDATE: 3,
  TOPK: 4,
  MASK: 5,
  MAXPOOL_BWD: 6,
  LOSS: 7,
  AVGPOOL_BWD: 8,
  LOGITS: 9,
} as const;

/** `update` field values (PROTOCOL.md §6.6.10). */
const UPDATE_RULE: { readonly [K in UpdateRule]: number } = { standardized: 0, centered: 1, sgd: 2 };

const kernel = (k: keyof typeof FQT_KERNEL): Field => scalar('fqt_kernel', FQT_KERNEL[k]);

function geometryFields(s: readonly [number, number], d: readonly [number, number], pad: Pad): Field[] {
  return [
    scalar('stride_h', s[0]),
    scalar('stride_w', s[1]),
    scalar('dilation_h', d[0]),
    scalar('dilation_w', d[1]),
    scalar('pad_top', pad.top),
    scalar('pad_left', pad.left),
    scalar('pad_bottom', pad.bottom),
    scalar('pad_right', pad.right),
  ];
}

/** §6.6.3 range tracking + quantization of `acc`, as fields (tracker in/out, qparams, M/k, errors). */
function quantFields(
  acc: Int32Array,
  shape: readonly number[],
  a: number,
  b: number,
  p: number,
  tracker: { lo: number; hi: number },
  rate: number,
): Field[] {
  const r = quantizeAccumulators(acc, { a, b, p }, tracker, rate, new Uint8Array(acc.length));
  return [
    scalar('unit_p', p),
    scales('trk_in', [tracker.lo, tracker.hi]),
    scales('rate', [f32(rate)]),
    tensor('acc', shape, acc),
    scales('trk_out', [r.range.lo, r.range.hi]),
    scales('y_scale', [r.qp.scale]),
    scalar('y_zp', r.qp.zeroPoint),
    ...requantFields('', [deriveRequant(a, b, r.qp.scale, p)]),
    tensor('y', shape, r.q),
  ];
}

interface EpropSpec {
  readonly name: string;
  readonly kind: 'CONV2D' | 'DEPTHWISE_CONV2D' | 'DENSE';
  readonly seed: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly o: number;
  readonly k?: readonly [number, number];
  readonly s?: readonly [number, number];
  readonly d?: readonly [number, number];
  readonly pad?: Pad;
  readonly rate: number;
  readonly tracker?: { lo: number; hi: number };
  /** Error bytes drawn from [lo, hi] (a narrow band: small errors). */
  readonly eBand?: readonly [number, number];
  readonly doc: string;
}

function shapes(sp: EpropSpec) {
  const [kh, kw] = sp.kind === 'DENSE' ? [1, 1] : (sp.k ?? [3, 3]);
  const st = sp.s ?? [1, 1];
  const dl = sp.d ?? [1, 1];
  const pad = sp.pad ?? NO_PAD;
  const dw = sp.kind === 'DEPTHWISE_CONV2D';
  const oc = dw ? sp.c : sp.o;
  const oh = sp.kind === 'DENSE' ? 1 : out(sp.h, kh, st[0], dl[0], pad.top, pad.bottom);
  const ow = sp.kind === 'DENSE' ? 1 : out(sp.w, kw, st[1], dl[1], pad.left, pad.right);
  const inputs = sp.h * sp.w * sp.c;
  const g = {
    inH: sp.h,
    inW: sp.w,
    inC: sp.c,
    outH: oh,
    outW: ow,
    outC: oc,
    kernel: [kh, kw] as const,
    strides: st,
    dilation: dl,
    pad,
  };
  const xShape = sp.kind === 'DENSE' ? [1, inputs] : [1, sp.h, sp.w, sp.c];
  const yShape = sp.kind === 'DENSE' ? [1, oc] : [1, oh, ow, oc];
  const wShape = sp.kind === 'DENSE' ? [oc, inputs] : dw ? [1, kh, kw, sp.c] : [oc, kh, kw, sp.c];
  const wCount = wShape.reduce((a, b) => a * b, 1);
  const es = sp.kind === 'DENSE' ? inputs : dw ? kh * kw : kh * kw * sp.c;
  return { g, oc, oh, ow, inputs, xShape, yShape, wShape, wCount, es, dw, st, dl, pad };
}

function epropCase(sp: EpropSpec): NnCase {
  const r = new Rng(sp.seed);
  const s = shapes(sp);
  const wScale = f32(0.002 + r.int(0, 200) / 20000);
  const wZero = r.int(110, 146);
  const w = r.u8(s.wCount);
  const eScale = f32(0.001 + r.int(0, 100) / 50000);
  const eZero = r.int(100, 156);
  const [elo, ehi] = sp.eBand ?? [0, 255];
  const e = r.u8(s.oh * s.ow * s.oc, elo, ehi);
  const acc = new Int32Array(s.inputs);
  const wq = { q: w, z: wZero };
  const eq = { q: e, z: eZero };
  const macs =
    sp.kind === 'DENSE'
      ? denseBackwardInput(s.inputs, s.oc, wq, eq, acc)
      : s.dw
        ? depthwiseBackwardInput(s.g, wq, eq, acc)
        : convBackwardInput(s.g, wq, eq, acc);
  return {
    name: sp.name,
    op: sp.kind,
    doc: sp.doc,
    fields: [
      kernel('EPROP'),
      ...(sp.kind === 'DENSE' ? [] : geometryFields(s.st, s.dl, s.pad)),
      tensor('w', s.wShape, w),
      scales('w_scale', [wScale]),
      scalar('w_zp', wZero),
      tensor('e', s.yShape, e),
      scales('e_scale', [eScale]),
      scalar('e_zp', eZero),
      scalar('macs', macs),
      ...quantFields(acc, s.xShape, wScale, eScale, 0, sp.tracker ?? { lo: -1, hi: 1 }, sp.rate),
    ],
  };
}

function epropCases(): NnCase[] {
  const base = { rate: 1 };
  return [
    epropCase({
      ...base,
      name: 'fqt-eprop-conv2d-valid',
      kind: 'CONV2D',
      seed: 201,
      h: 6,
      w: 6,
      c: 3,
      o: 4,
      doc: 'CONV2D 3x3 valid error propagation, tracker rate 1 (this sample’s range)',
    }),
    epropCase({
      name: 'fqt-eprop-conv2d-s2-pad',
      kind: 'CONV2D',
      seed: 202,
      h: 7,
      w: 6,
      c: 2,
      o: 3,
      s: [2, 2],
      pad: { top: 1, left: 1, bottom: 1, right: 0 },
      rate: f32(0.05),
      tracker: { lo: f32(-0.3), hi: f32(0.25) },
      doc: 'CONV2D 3x3 stride 2, asymmetric padding (padded taps skipped), EMA rate 0.05',
    }),
    epropCase({
      name: 'fqt-eprop-conv2d-dilated',
      kind: 'CONV2D',
      seed: 203,
      h: 7,
      w: 7,
      c: 2,
      o: 2,
      d: [2, 2],
      rate: 0,
      doc: 'CONV2D dilation 2, rate 0: the fixed range [-1, 1] (errors saturate to 0 / 255)',
    }),
    epropCase({
      name: 'fqt-eprop-depthwise',
      kind: 'DEPTHWISE_CONV2D',
      seed: 204,
      h: 5,
      w: 5,
      c: 4,
      o: 4,
      pad: { top: 1, left: 1, bottom: 1, right: 1 },
      rate: 1,
      doc: 'DEPTHWISE_CONV2D 3x3 same, per-channel transposed taps',
    }),
    epropCase({
      name: 'fqt-eprop-dense',
      kind: 'DENSE',
      seed: 205,
      h: 1,
      w: 1,
      c: 24,
      o: 10,
      rate: 1,
      doc: 'DENSE acc[i] = Σ_o (w[o, i] - z_w)(e[o] - z_e), rate 1',
    }),
    epropCase({
      name: 'fqt-eprop-dense-small-errors',
      kind: 'DENSE',
      seed: 206,
      h: 1,
      w: 1,
      c: 16,
      o: 6,
      rate: f32(0.25),
      tracker: { lo: f32(-0.01), hi: f32(0.02) },
      eBand: [125, 131],
      doc: 'DENSE with errors within a few steps of the zero point, EMA rate 0.25',
    }),
  ];
}

function avgPoolCase(): NnCase {
  const r = new Rng(211);
  const g = {
    inH: 5,
    inW: 5,
    C: 3,
    outH: 3,
    outW: 3,
    window: [3, 3] as const,
    strides: [2, 2] as const,
    pad: { top: 1, left: 1, bottom: 1, right: 1 },
  };
  const eScale = f32(0.004);
  const eZero = 128;
  const e = r.u8(g.outH * g.outW * g.C);
  const acc = new Int32Array(g.inH * g.inW * g.C);
  avgPoolBackward(g, { q: e, z: eZero }, acc);
  return {
    name: 'fqt-avgpool-bwd-3x3-s2',
    op: 'AVGPOOL2D',
    doc: 'AVGPOOL2D backward: RoundedDiv((e - z_e) * 2^16, n_w) summed per input; unit s_e * 2^-16, then range tracking (rate 1)',
    fields: [
      kernel('AVGPOOL_BWD'),
      scalar('stride_h', 2),
      scalar('stride_w', 2),
      scalar('window_h', 3),
      scalar('window_w', 3),
      scalar('pad_top', 1),
      scalar('pad_left', 1),
      scalar('pad_bottom', 1),
      scalar('pad_right', 1),
      tensor('e', [1, g.outH, g.outW, g.C], e),
      scales('e_scale', [eScale]),
      scalar('e_zp', eZero),
      ...quantFields(acc, [1, g.inH, g.inW, g.C], eScale, 1, -16, { lo: -1, hi: 1 }, 1),
    ],
  };
}

interface WgradSpec {
  readonly name: string;
  readonly kind: 'CONV2D' | 'DEPTHWISE_CONV2D' | 'DENSE';
  readonly seed: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly o: number;
  readonly s?: readonly [number, number];
  readonly pad?: Pad;
  readonly select: readonly number[];
  readonly doc: string;
}

function wgradCase(sp: WgradSpec): NnCase {
  const r = new Rng(sp.seed);
  const s = shapes({ ...sp, rate: 1 });
  const xScale = f32(0.02 + r.int(0, 100) / 10000);
  const xZero = r.int(0, 40);
  const x = r.u8(s.inputs);
  const eScale = f32(0.001 + r.int(0, 100) / 50000);
  const eZero = r.int(100, 156);
  const e = r.u8(s.oh * s.ow * s.oc);
  const idx = Uint16Array.from(sp.select);
  const G = new Int32Array(idx.length * s.es);
  const xq = { q: x, z: xZero };
  const eq = { q: e, z: eZero };
  const macs =
    sp.kind === 'DENSE'
      ? denseWeightGrad(s.inputs, xq, eq, idx, G)
      : s.dw
        ? depthwiseWeightGrad(s.g, xq, eq, idx, G)
        : convWeightGrad(s.g, xq, eq, idx, G);
  // §6.6.4: B[s], m_s over the output positions; binary32 gradient of one sample (bs = 1)
  const N = s.oc;
  const positions = s.oh * s.ow;
  const B = new Int32Array(N);
  const mag = new Int32Array(N);
  for (let p = 0; p < positions; p++)
    for (let st = 0; st < N; st++) {
      const d = e[p * N + st]! - eZero;
      B[st] = B[st]! + d;
      mag[st] = mag[st]! + Math.abs(d);
    }
  const unit = f32(xScale * eScale);
  const g = Float32Array.from(G, (v) => f32(unit * f32(v)));
  const gb = Float32Array.from(idx, (st) => f32(eScale * f32(B[st]!)));
  return {
    name: sp.name,
    op: sp.kind,
    doc: sp.doc,
    fields: [
      kernel('WGRAD'),
      ...(sp.kind === 'DENSE' ? [] : geometryFields(s.st, s.dl, s.pad)),
      tensor('x', s.xShape, x),
      scales('x_scale', [xScale]),
      scalar('x_zp', xZero),
      tensor('e', s.yShape, e),
      scales('e_scale', [eScale]),
      scalar('e_zp', eZero),
      tensor('idx', [idx.length], Int32Array.from(idx)),
      tensor('g_int', [idx.length, s.es], G),
      tensor('b_int', [N], B),
      tensor('mag', [N], mag),
      tensor('g', [idx.length, s.es], g),
      tensor('gb', [idx.length], gb),
      scalar('macs', macs),
    ],
  };
}

function wgradCases(): NnCase[] {
  return [
    wgradCase({
      name: 'fqt-wgrad-conv2d',
      kind: 'CONV2D',
      seed: 221,
      h: 6,
      w: 6,
      c: 3,
      o: 5,
      select: [0, 2, 3],
      doc: 'CONV2D weight gradient of structures 0, 2, 3 (OHWI rows), bias sums, magnitudes',
    }),
    wgradCase({
      name: 'fqt-wgrad-conv2d-s2-same',
      kind: 'CONV2D',
      seed: 222,
      h: 6,
      w: 5,
      c: 2,
      o: 3,
      s: [2, 2],
      pad: { top: 1, left: 1, bottom: 1, right: 1 },
      select: [1],
      doc: 'CONV2D stride 2 same padding: only in-bounds taps; one selected structure',
    }),
    wgradCase({
      name: 'fqt-wgrad-depthwise',
      kind: 'DEPTHWISE_CONV2D',
      seed: 223,
      h: 5,
      w: 5,
      c: 4,
      o: 4,
      select: [0, 1, 2, 3],
      doc: 'DEPTHWISE_CONV2D weight gradient, row r = kh*kw values of channel idx[r]',
    }),
    wgradCase({
      name: 'fqt-wgrad-dense',
      kind: 'DENSE',
      seed: 224,
      h: 1,
      w: 1,
      c: 20,
      o: 8,
      select: [1, 4, 7],
      doc: 'DENSE G[r, i] = (x[i] - z_x)(e[o] - z_e) for the selected rows',
    }),
  ];
}

function maskCases(): NnCase[] {
  const build = (name: string, seed: number, lower: number | null, upper: number, doc: string): NnCase => {
    const r = new Rng(seed);
    const y = r.u8(40);
    // make the cut values present
    if (lower !== null) y[0] = lower;
    if (upper < 255) y[1] = upper;
    const e = r.u8(40);
    const eZero = 120;
    const m = e.slice();
    activationMask(y, lower, upper, m, eZero);
    return {
      name,
      op: upper < 255 ? 'RELU6' : 'RELU',
      doc,
      fields: [
        kernel('MASK'),
        tensor('y_fwd', [1, 40], y),
        scalar('lower', lower ?? -1),
        scalar('upper', upper),
        tensor('e', [1, 40], e),
        scalar('e_zp', eZero),
        tensor('y', [1, 40], m),
      ],
    };
  };
  return [
    build(
      'fqt-mask-relu',
      231,
      70,
      255,
      'ReLU cut: e = z_e where y_fwd <= lower (lower = output zero point)',
    ),
    build('fqt-mask-relu6', 232, 30, 190, 'ReLU6 cut: also e = z_e where y_fwd >= upper (< 255)'),
    build('fqt-mask-upper-only', 233, null, 200, 'no lower cut (lower = -1), upper cut at 200'),
  ];
}

function maxPoolCases(): NnCase[] {
  const build = (
    name: string,
    seed: number,
    h: number,
    w: number,
    win: number,
    st: number,
    pad: Pad,
    doc: string,
    ties: boolean,
  ): NnCase => {
    const r = new Rng(seed);
    const C = 2;
    const oh = out(h, win, st, 1, pad.top, pad.bottom);
    const ow = out(w, win, st, 1, pad.left, pad.right);
    const x = ties ? r.u8(h * w * C, 10, 12) : r.u8(h * w * C);
    const eZero = 128;
    const e = r.u8(oh * ow * C);
    const dx = new Uint8Array(h * w * C);
    maxPoolBackward(
      { inH: h, inW: w, C, outH: oh, outW: ow, window: [win, win], strides: [st, st], pad },
      x,
      { q: e, z: eZero },
      dx,
    );
    return {
      name,
      op: 'MAXPOOL2D',
      doc,
      fields: [
        kernel('MAXPOOL_BWD'),
        scalar('stride_h', st),
        scalar('stride_w', st),
        scalar('window_h', win),
        scalar('window_w', win),
        scalar('pad_top', pad.top),
        scalar('pad_left', pad.left),
        scalar('pad_bottom', pad.bottom),
        scalar('pad_right', pad.right),
        tensor('x', [1, h, w, C], x),
        tensor('e', [1, oh, ow, C], e),
        scalar('e_zp', eZero),
        tensor('y', [1, h, w, C], dx),
      ],
    };
  };
  return [
    build(
      'fqt-maxpool-bwd-2x2',
      241,
      6,
      6,
      2,
      2,
      NO_PAD,
      'MAXPOOL2D 2x2 backward: first largest input of each window',
      false,
    ),
    build(
      'fqt-maxpool-bwd-overlap-ties',
      242,
      5,
      5,
      3,
      1,
      { top: 1, left: 1, bottom: 1, right: 1 },
      'MAXPOOL2D 3x3 stride 1 same: overlapping windows sum (clamped to 0..255), many ties (first in scan order)',
      true,
    ),
  ];
}

function lossCases(): NnCase[] {
  const build = (
    name: string,
    seed: number,
    q: { scale: number; zeroPoint: number },
    label: number,
    doc: string,
  ) => {
    const r = new Rng(seed);
    const logits = r.u8(10);
    const o = outputError(logits, q, label);
    const p = Uint8Array.from(o.acc, (v, i) => v + (i === label ? 256 : 0));
    return {
      name,
      op: 'SOFTMAX' as OpKindName,
      doc,
      fields: [
        kernel('LOSS'),
        tensor('x', [1, 10], logits),
        scales('x_scale', [q.scale]),
        scalar('x_zp', q.zeroPoint),
        scalar('label', label),
        tensor('p', [1, 10], p),
        tensor('err', [1, 10], o.acc),
        scales('loss', [o.loss]),
        scalar('correct', o.correct ? 1 : 0),
        ...quantFields(o.acc, [1, 10], 1, 1, -8, { lo: -1, hi: 1 }, 1),
      ],
    };
  };
  return [
    build(
      'fqt-loss-10',
      251,
      { scale: f32(0.1), zeroPoint: 128 },
      3,
      'integer softmax p (1/256), err = p - 256*onehot, loss NEG_LN[p[label]], logits error quantized (a = b = 1, p = -8, rate 1)',
    ),
    build(
      'fqt-loss-confident',
      252,
      { scale: f32(1), zeroPoint: 0 },
      7,
      'large logit scale: p saturates, p[label] may be 0 (loss of p = 1/256)',
    ),
  ];
}

function topKCases(): NnCase[] {
  const build = (
    name: string,
    mags: number[],
    lmin: number,
    lmax: number,
    eps: number,
    doc: string,
  ): NnCase => {
    const k = updatedStructures(mags.length, lmin, lmax, eps);
    const idx = topK(mags, k);
    return {
      name,
      op: null,
      doc,
      fields: [
        kernel('TOPK'),
        tensor('mag', [mags.length], Int32Array.from(mags)),
        scales('lambda', [f32(lmin), f32(lmax)]),
        scales('eps', [f32(eps)]),
        scalar('k', k),
        tensor('idx', [idx.length], Int32Array.from(idx)),
      ],
    };
  };
  const r = new Rng(261);
  const m32 = Array.from({ length: 32 }, () => r.int(0, 50));
  return [
    build(
      'fqt-topk-ties',
      [5, 9, 9, 1, 7, 9, 0, 7],
      0.5,
      0.5,
      0,
      'k = floor(0.5 * 8) = 4; ties to the lower index; ascending output',
    ),
    build(
      'fqt-topk-dynamic-32',
      m32,
      f32(0.1),
      1,
      f32(0.37),
      'k = floor(min(λmin + |eps|(λmax - λmin), 1) N) in binary32, N = 32',
    ),
    build('fqt-topk-min-one', [0, 0, 0, 0, 3], 0.1, 0.1, 0, 'floor(0.5) = 0 -> k = 1'),
  ];
}

interface UpdateSpec {
  readonly name: string;
  readonly op: OpKindName;
  readonly layout: 'oi' | 'ohwi' | '1hwc';
  readonly seed: number;
  readonly n: number;
  readonly es: number;
  readonly wShape: readonly number[];
  readonly select: readonly number[];
  readonly lr: number;
  readonly biasLr: number;
  readonly rate: number;
  readonly stochastic: boolean;
  readonly update?: UpdateRule;
  /** Row of `select` whose gradient is constant (std = 0 -> ĝ = 0). */
  readonly flatRow?: number;
  /** PROTOCOL.md §6.6.6 step 2a: the op is the logits producer. */
  readonly recentre?: boolean;
  readonly doc: string;
}

function updateCase(sp: UpdateSpec): NnCase {
  const r = new Rng(sp.seed);
  const count = sp.n * sp.es;
  const wScale = f32(0.003 + r.int(0, 100) / 50000);
  const wZero = r.int(100, 150);
  const w = r.u8(count, 20, 235);
  const bias = r.i32(sp.n, -5000, 5000);
  const xScale = f32(0.02 + r.int(0, 100) / 10000);
  const idx = Uint16Array.from(sp.select);
  const grad = Float32Array.from({ length: idx.length * sp.es }, () => f32((r.int(0, 2000) - 1000) * 1e-5));
  if (sp.flatRow !== undefined) grad.fill(f32(0.003), sp.flatRow * sp.es, (sp.flatRow + 1) * sp.es);
  const gb = Float32Array.from(idx, () => f32((r.int(0, 2000) - 1000) * 1e-4));
  const tracker = { lo: f32(wScale * (0 - wZero)), hi: f32(wScale * (255 - wZero)) };
  const ghat = new Float32Array(grad.length);
  const rule = sp.update ?? 'standardized';
  for (let k = 0; k < idx.length; k++) {
    const row = grad.subarray(k * sp.es, (k + 1) * sp.es);
    const o = ghat.subarray(k * sp.es, (k + 1) * sp.es);
    if (rule === 'sgd') o.set(row);
    else if (rule === 'centered') center(row, o);
    else standardize(row, o);
  }
  const seed = 0x1234567 + sp.seed;
  const rng = sp.stochastic ? new Xorshift32(seed) : undefined;
  const p: LayerParams = {
    w: w.slice(),
    wq: { scale: wScale, zeroPoint: wZero },
    bias: bias.slice(),
    range: { ...tracker },
  };
  const delta = updateLayer(p, {
    selected: idx,
    grad,
    biasGrad: gb,
    es: sp.es,
    index: elementIndex(sp.layout, sp.n, sp.es),
    lr: sp.lr,
    biasLr: sp.biasLr,
    rate: sp.rate,
    inputScale: xScale,
    mode: sp.update ?? 'standardized',
    recentre: sp.recentre === true,
    ...(rng ? { rng } : {}),
  });
  return {
    name: sp.name,
    op: sp.op,
    doc: sp.doc,
    fields: [
      kernel('UPDATE'),
      tensor('w', sp.wShape, w),
      scales('w_scale', [wScale]),
      scalar('w_zp', wZero),
      scales('trk_in', [tracker.lo, tracker.hi]),
      tensor('bias', [sp.n], bias),
      scales('x_scale', [xScale]),
      tensor('idx', [idx.length], Int32Array.from(idx)),
      tensor('g', [idx.length, sp.es], grad),
      tensor('gb', [idx.length], gb),
      scales('lr', [f32(sp.lr), f32(sp.biasLr)]),
      scales('rate', [f32(sp.rate)]),
      scalar('update', UPDATE_RULE[rule]),
      scalar('rounding', sp.stochastic ? 1 : 0),
      scalar('seed', sp.stochastic ? seed | 0 : 0),
      scalar('recentre', sp.recentre ? 1 : 0),
      tensor('ghat', [idx.length, sp.es], ghat),
      scales('trk_out', [p.range.lo, p.range.hi]),
      scales('y_scale', [p.wq.scale]),
      scalar('y_zp', p.wq.zeroPoint),
      tensor('y', sp.wShape, p.w),
      tensor('bias_out', [sp.n], p.bias),
      tensor('delta', [idx.length, sp.es], delta),
      scalar('rng_state', rng ? rng.state | 0 : 0),
    ],
  };
}

function updateCases(): NnCase[] {
  return [
    updateCase({
      name: 'fqt-update-dense-nearest',
      op: 'DENSE',
      layout: 'oi',
      seed: 271,
      n: 6,
      es: 20,
      wShape: [6, 20],
      select: [0, 3, 4],
      lr: f32(0.004),
      biasLr: f32(0.004),
      rate: 1,
      stochastic: false,
      doc: 'standardize rows 0, 3, 4; real -= lr ĝ; exact min/max range (rate 1); round half to even; bias SGD and rescale',
    }),
    updateCase({
      name: 'fqt-update-dense-stochastic',
      op: 'DENSE',
      layout: 'oi',
      seed: 272,
      n: 4,
      es: 24,
      wShape: [4, 24],
      select: [0, 1, 2, 3],
      lr: f32(0.0005),
      biasLr: f32(0.01),
      rate: f32(0.1),
      stochastic: true,
      doc: 'sub-step update (lr < s_w / 2), stochastic rounding (xorshift32, one draw per weight in index order), EMA rate 0.1, separate bias lr',
    }),
    updateCase({
      name: 'fqt-update-conv2d-flat-row',
      op: 'CONV2D',
      layout: 'ohwi',
      seed: 273,
      n: 4,
      es: 18,
      wShape: [4, 3, 3, 2],
      select: [1, 2],
      lr: f32(0.002),
      biasLr: f32(0.002),
      rate: f32(0.01),
      stochastic: true,
      flatRow: 1,
      doc: 'CONV2D (OHWI rows): the second selected row has a constant gradient (std = 0 -> ĝ = 0); stochastic rounding, rate 0.01',
    }),
    updateCase({
      name: 'fqt-update-depthwise',
      op: 'DEPTHWISE_CONV2D',
      layout: '1hwc',
      seed: 274,
      n: 5,
      es: 9,
      wShape: [1, 3, 3, 5],
      select: [2, 4],
      lr: f32(0.003),
      biasLr: f32(0.001),
      rate: 1,
      stochastic: false,
      doc: 'DEPTHWISE_CONV2D (1HWC: element j of channel s at j * N + s), nearest rounding',
    }),
    updateCase({
      name: 'fqt-update-dense-sgd-stochastic',
      op: 'DENSE',
      layout: 'oi',
      seed: 275,
      n: 5,
      es: 16,
      wShape: [5, 16],
      select: [0, 2, 4],
      lr: f32(0.02),
      biasLr: f32(0.02),
      rate: f32(0.1),
      stochastic: true,
      update: 'sgd',
      doc: 'SGD rule (d = g, no standardization), stochastic rounding, EMA rate 0.1',
    }),
    updateCase({
      name: 'fqt-update-conv2d-centered',
      op: 'CONV2D',
      layout: 'ohwi',
      seed: 276,
      n: 3,
      es: 12,
      wShape: [3, 2, 2, 3],
      select: [0, 1, 2],
      lr: f32(0.05),
      biasLr: f32(0.01),
      rate: 1,
      stochastic: false,
      update: 'centered',
      doc: 'CENTERED rule (d = g - mean per structure), nearest rounding, exact range',
    }),
    updateCase({
      name: 'fqt-update-dense-recentre',
      op: 'DENSE',
      layout: 'oi',
      seed: 277,
      n: 10,
      es: 12,
      wShape: [10, 12],
      select: [7],
      lr: f32(0.02),
      biasLr: f32(0.02),
      rate: f32(0.1),
      stochastic: false,
      update: 'sgd',
      recentre: true,
      doc: 'logits producer (§6.6.6 step 2a): k = 1 of 10 rows, SGD; every row and bias re-centred on the per-element mean over the rows; EMA rate 0.1',
    }),
    updateCase({
      name: 'fqt-update-conv2d-recentre-stochastic',
      op: 'CONV2D',
      layout: 'ohwi',
      seed: 278,
      n: 4,
      es: 8,
      wShape: [4, 1, 2, 4],
      select: [1, 3],
      lr: f32(0.01),
      biasLr: f32(0.005),
      rate: 1,
      stochastic: true,
      recentre: true,
      doc: 'CONV2D logits producer (§6.6.6 step 2a), standardized, stochastic rounding of the selected rows after the re-centring',
    }),
  ];
}

/** Every FQT case (the `NN_CASE_BUILDERS` entry of nn.ts). */
export function fqtCases(): NnCase[] {
  return [
    ...epropCases(),
    avgPoolCase(),
    ...wgradCases(),
    ...maskCases(),
    ...maxPoolCases(),
    ...lossCases(),
    ...topKCases(),
    ...updateCases(),
    ...logitsCases(kernel('LOGITS')),
  ];
}
