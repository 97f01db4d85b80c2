/**
 * Kernel vectors of the weighted ops (PROTOCOL.md §6.3.2-§6.3.4), computed by
 * the integer reference kernels of the cloud (`@tinyfleet/cloud/quant`, a dev-time dependency of this
 * generator only).
 */
import { deriveRequant, elementwise, kernels } from '@tinyfleet/cloud/quant';
import { f32, type NnCase, Rng, requantFields, scalar, scales, tensor } from './nn-case.js';

export interface Pad {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
}

export const NO_PAD: Pad = { top: 0, left: 0, bottom: 0, right: 0 };
export const out = (n: number, k: number, s: number, d: number, p0: number, p1: number): number =>
  Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;

interface ConvSpec {
  readonly name: string;
  readonly kind: 'CONV2D' | 'DEPTHWISE_CONV2D' | 'CONV1D' | 'DENSE';
  readonly seed: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** Output channels (depthwise: ignored, = c). */
  readonly o: number;
  readonly k?: readonly [number, number];
  readonly s?: readonly [number, number];
  readonly d?: readonly [number, number];
  readonly pad?: Pad;
  readonly perChannel: boolean;
  /** Output scale relative to the typical accumulator (larger: fewer saturated outputs). */
  readonly spread?: number;
  readonly clamp?: 'relu' | 'relu6';
  readonly doc: string;
}

function weighted(sp: ConvSpec): NnCase {
  const r = new Rng(sp.seed);
  const [kh, kw] = sp.kind === 'DENSE' ? [1, 1] : (sp.k ?? [3, 3]);
  const [sh, sw] = sp.s ?? [1, 1];
  const [dh, dw] = sp.d ?? [1, 1];
  const pad = sp.pad ?? NO_PAD;
  const dw1 = sp.kind === 'DEPTHWISE_CONV2D';
  const oc = dw1 ? sp.c : sp.o;
  const oh = sp.kind === 'DENSE' ? 1 : out(sp.h, kh, sh, dh, pad.top, pad.bottom);
  const ow = sp.kind === 'DENSE' ? 1 : out(sp.w, kw, sw, dw, pad.left, pad.right);
  const inputs = sp.h * sp.w * sp.c;
  const perOut = sp.kind === 'DENSE' ? inputs : dw1 ? kh * kw : kh * kw * sp.c;
  const wCount = sp.kind === 'DENSE' ? oc * inputs : dw1 ? kh * kw * sp.c : oc * kh * kw * sp.c;
  const xScale = f32(0.02 + r.int(0, 100) / 10000);
  const xZero = r.int(110, 146);
  const channels = sp.perChannel ? oc : 1;
  const wScale = Array.from({ length: channels }, () => f32(0.002 + r.int(0, 200) / 20000));
  const wZero = Int32Array.from({ length: channels }, () => (sp.perChannel ? 0 : r.int(118, 138)));
  const w = sp.perChannel ? r.i8(wCount) : r.u8(wCount);
  const x = r.u8(inputs);
  const bias = r.i32(oc, -3000, 3000);
  const yScale = f32(xScale * wScale[0]! * Math.sqrt(perOut) * 70 * (sp.spread ?? 1));
  const yZero = r.int(20, 235);
  const requant = wScale.map((s) => deriveRequant(xScale, s, yScale));
  const actMin = sp.clamp ? yZero : 0;
  const actMax = sp.clamp === 'relu6' ? elementwise.relu6Max({ scale: yScale, zeroPoint: yZero }) : 255;
  const args = { x, xZero, w, wZero, bias, requant, yZero, clamp: { actMin, actMax } };
  const y = new Uint8Array(oh * ow * oc);
  const geom = { inH: sp.h, inW: sp.w, inC: sp.c, outH: oh, outW: ow, outC: oc, kernel: [kh, kw] as const };
  const g = { ...geom, strides: [sh, sw] as const, dilation: [dh, dw] as const, pad };
  if (sp.kind === 'DENSE') kernels.dense(inputs, oc, args, y);
  else if (dw1) kernels.depthwiseConv2d(g, args, y);
  else kernels.conv2d(g, args, y);
  const xShape =
    sp.kind === 'DENSE' ? [1, inputs] : sp.kind === 'CONV1D' ? [1, sp.w, sp.c] : [1, sp.h, sp.w, sp.c];
  const wShape =
    sp.kind === 'DENSE'
      ? [oc, inputs]
      : dw1
        ? [1, kh, kw, sp.c]
        : sp.kind === 'CONV1D'
          ? [oc, kw, sp.c]
          : [oc, kh, kw, sp.c];
  const yShape = sp.kind === 'DENSE' ? [1, oc] : sp.kind === 'CONV1D' ? [1, ow, oc] : [1, oh, ow, oc];
  const geometry =
    sp.kind === 'DENSE'
      ? []
      : [
          scalar('stride_h', sh),
          scalar('stride_w', sw),
          scalar('dilation_h', dh),
          scalar('dilation_w', dw),
          scalar('pad_top', pad.top),
          scalar('pad_left', pad.left),
          scalar('pad_bottom', pad.bottom),
          scalar('pad_right', pad.right),
        ];
  return {
    name: sp.name,
    op: sp.kind,
    doc: sp.doc,
    fields: [
      ...geometry,
      scalar('act_min', actMin),
      scalar('act_max', actMax),
      tensor('x', xShape, x),
      scales('x_scale', [xScale]),
      scalar('x_zp', xZero),
      tensor('w', wShape, w),
      scales('w_scale', wScale),
      tensor('w_zp', [channels], wZero),
      tensor('bias', [oc], bias),
      scales('y_scale', [yScale]),
      scalar('y_zp', yZero),
      ...requantFields('', requant),
      tensor('y', yShape, y),
    ],
  };
}

export const same3: Pad = { top: 1, left: 1, bottom: 1, right: 1 };

export function weightedCases(): NnCase[] {
  const specs: ConvSpec[] = [
    {
      name: 'conv2d-valid',
      kind: 'CONV2D',
      seed: 11,
      h: 6,
      w: 6,
      c: 3,
      o: 4,
      perChannel: false,
      doc: '3x3 valid, uint8 per-tensor weights',
    },
    {
      name: 'conv2d-same',
      kind: 'CONV2D',
      seed: 12,
      h: 5,
      w: 5,
      c: 2,
      o: 3,
      pad: same3,
      perChannel: true,
      doc: '3x3 same (pad 1), int8 per-channel weights',
    },
    {
      name: 'conv2d-stride2',
      kind: 'CONV2D',
      seed: 13,
      h: 7,
      w: 7,
      c: 3,
      o: 4,
      s: [2, 2],
      pad: { top: 0, left: 0, bottom: 1, right: 1 },
      perChannel: false,
      doc: '3x3 stride 2, asymmetric padding',
    },
    {
      name: 'conv2d-dilation2',
      kind: 'CONV2D',
      seed: 14,
      h: 7,
      w: 7,
      c: 2,
      o: 3,
      d: [2, 2],
      pad: { top: 2, left: 2, bottom: 2, right: 2 },
      perChannel: true,
      doc: '3x3 dilation 2, pad 2',
    },
    {
      name: 'conv2d-1x1',
      kind: 'CONV2D',
      seed: 15,
      h: 4,
      w: 4,
      c: 8,
      o: 6,
      k: [1, 1],
      perChannel: true,
      doc: 'pointwise 1x1',
    },
    {
      name: 'conv2d-rect',
      kind: 'CONV2D',
      seed: 16,
      h: 5,
      w: 7,
      c: 3,
      o: 2,
      k: [3, 2],
      s: [1, 2],
      pad: { top: 1, left: 0, bottom: 1, right: 1 },
      perChannel: false,
      doc: '3x2 kernel, strides 1x2, mixed padding',
    },
    {
      name: 'conv2d-relu6',
      kind: 'CONV2D',
      seed: 17,
      h: 5,
      w: 5,
      c: 4,
      o: 4,
      pad: same3,
      perChannel: false,
      clamp: 'relu6',
      spread: 0.3,
      doc: 'fused ReLU6 clamp, heavy saturation',
    },
    {
      name: 'conv2d-saturate',
      kind: 'CONV2D',
      seed: 18,
      h: 4,
      w: 4,
      c: 4,
      o: 3,
      perChannel: true,
      spread: 0.05,
      doc: 'output scale 20x too small: saturation at 0 and 255',
    },
    {
      name: 'depthwise-same',
      kind: 'DEPTHWISE_CONV2D',
      seed: 21,
      h: 6,
      w: 6,
      c: 4,
      o: 4,
      pad: same3,
      perChannel: false,
      doc: '3x3 same, uint8 per-tensor',
    },
    {
      name: 'depthwise-stride2',
      kind: 'DEPTHWISE_CONV2D',
      seed: 22,
      h: 7,
      w: 7,
      c: 5,
      o: 5,
      s: [2, 2],
      pad: same3,
      perChannel: true,
      clamp: 'relu',
      doc: 'stride 2, int8 per-channel (axis 3), fused ReLU',
    },
    {
      name: 'depthwise-dilation',
      kind: 'DEPTHWISE_CONV2D',
      seed: 23,
      h: 6,
      w: 6,
      c: 3,
      o: 3,
      d: [2, 2],
      perChannel: true,
      doc: 'dilation 2, valid',
    },
    {
      name: 'conv1d-same',
      kind: 'CONV1D',
      seed: 31,
      h: 1,
      w: 16,
      c: 3,
      o: 4,
      k: [1, 3],
      pad: { top: 0, left: 1, bottom: 0, right: 1 },
      perChannel: false,
      doc: 'k 3 same over W',
    },
    {
      name: 'conv1d-stride-dilation',
      kind: 'CONV1D',
      seed: 32,
      h: 1,
      w: 20,
      c: 2,
      o: 3,
      k: [1, 3],
      s: [1, 2],
      d: [1, 2],
      pad: { top: 0, left: 2, bottom: 0, right: 1 },
      perChannel: true,
      doc: 'k 3, stride 2, dilation 2',
    },
    {
      name: 'dense-uint8',
      kind: 'DENSE',
      seed: 41,
      h: 1,
      w: 1,
      c: 16,
      o: 5,
      perChannel: false,
      doc: '16 -> 5, uint8 per-tensor weights',
    },
    {
      name: 'dense-int8-per-channel',
      kind: 'DENSE',
      seed: 42,
      h: 1,
      w: 1,
      c: 32,
      o: 10,
      perChannel: true,
      doc: '32 -> 10, int8 per-channel weights',
    },
    {
      name: 'dense-wide',
      kind: 'DENSE',
      seed: 43,
      h: 1,
      w: 1,
      c: 200,
      o: 3,
      perChannel: false,
      spread: 2,
      doc: '200 -> 3, large accumulators',
    },
  ];
  return specs.map(weighted);
}
