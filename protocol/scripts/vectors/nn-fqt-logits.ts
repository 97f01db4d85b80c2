/**
 * FQT logits tracker kernel vectors (PROTOCOL.md §6.6.7 `ea`, kernel LOGITS of §6.6.11): the int32
 * forward accumulators of the logits producer (DENSE, CONV2D), their min / max, the binary32 observed
 * range with the unit f32(s_x * s_w), the tracker update and the logits' new qparams.
 */
import { accumulatorBounds, emaRange, emptyBounds, qparamsF32 } from '@tinyfleet/cloud/fqt';
import type { OpKindName } from '../../src/constants/index.js';
import { f32, type NnCase, Rng, scalar, scales, tensor } from './nn-case.js';
import type { Field } from './nn-container.js';
import { NO_PAD, out, type Pad } from './nn-weighted.js';

interface LogitsSpec {
  readonly name: string;
  readonly op: OpKindName & ('DENSE' | 'CONV2D');
  readonly seed: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly o: number;
  readonly k?: number;
  readonly s?: number;
  readonly pad?: Pad;
  readonly rate: number;
  readonly doc: string;
}

function logitsCase(sp: LogitsSpec, kernelField: Field): NnCase {
  const r = new Rng(sp.seed);
  const dense = sp.op === 'DENSE';
  const k = dense ? 1 : (sp.k ?? 3);
  const st = sp.s ?? 1;
  const pad = sp.pad ?? NO_PAD;
  const inputs = sp.h * sp.w * sp.c;
  const geom = dense
    ? null
    : {
        inH: sp.h,
        inW: sp.w,
        inC: sp.c,
        outH: out(sp.h, k, st, 1, pad.top, pad.bottom),
        outW: out(sp.w, k, st, 1, pad.left, pad.right),
        outC: sp.o,
        kernel: [k, k] as const,
        strides: [st, st] as const,
        dilation: [1, 1] as const,
        pad,
      };
  const xScale = f32(0.01 + r.int(0, 100) / 10000);
  const xZero = r.int(0, 60);
  const x = r.u8(inputs);
  const wScale = f32(0.002 + r.int(0, 200) / 20000);
  const wZero = r.int(100, 156);
  const wShape = dense ? [sp.o, inputs] : [sp.o, k, k, sp.c];
  const w = r.u8(wShape.reduce((a, b) => a * b, 1));
  const bias = r.i32(sp.o, -20000, 20000);
  const yScale = f32(0.05 + r.int(0, 100) / 1000);
  const yZero = r.int(90, 160);
  const trkIn = { lo: f32(yScale * (0 - yZero)), hi: f32(yScale * (255 - yZero)) };
  const b = emptyBounds();
  const kind = dense ? 'dense' : 'conv';
  accumulatorBounds({ kind, geom, inputs, structures: sp.o }, x, xZero, w, wZero, bias, b);
  // §6.6.7: observed range with the step-start unit, tracker, qparams
  const u = f32(xScale * wScale);
  const trk = emaRange(trkIn, { lo: f32(u * f32(b.mn)), hi: f32(u * f32(b.mx)) }, f32(sp.rate));
  const qp = qparamsF32(trk);
  const padFields = dense
    ? []
    : [
        scalar('stride_h', st),
        scalar('stride_w', st),
        scalar('pad_top', pad.top),
        scalar('pad_left', pad.left),
        scalar('pad_bottom', pad.bottom),
        scalar('pad_right', pad.right),
      ];
  return {
    name: sp.name,
    op: sp.op,
    doc: sp.doc,
    fields: [
      kernelField,
      ...padFields,
      tensor('x', dense ? [1, inputs] : [1, sp.h, sp.w, sp.c], x),
      scales('x_scale', [xScale]),
      scalar('x_zp', xZero),
      tensor('w', wShape, w),
      scales('w_scale', [wScale]),
      scalar('w_zp', wZero),
      tensor('bias', [sp.o], bias),
      scales('trk_in', [trkIn.lo, trkIn.hi]),
      scales('rate', [f32(sp.rate)]),
      tensor('bounds', [2], Int32Array.of(b.mn, b.mx)),
      scales('trk_out', [trk.lo, trk.hi]),
      scales('y_scale', [qp.scale]),
      scalar('y_zp', qp.zeroPoint),
    ],
  };
}

/** The LOGITS cases; `kernelField` is the `fqt_kernel` scalar of nn-fqt.ts. */
export function logitsCases(kernelField: Field): NnCase[] {
  return [
    logitsCase(
      {
        name: 'fqt-logits-dense',
        op: 'DENSE',
        seed: 291,
        h: 1,
        w: 1,
        c: 40,
        o: 10,
        rate: 0.01,
        doc: 'DENSE logits producer: accumulators with bias, min / max, tracker at ea = 0.01, new logits qparams',
      },
      kernelField,
    ),
    logitsCase(
      {
        name: 'fqt-logits-conv2d-same',
        op: 'CONV2D',
        seed: 292,
        h: 5,
        w: 4,
        c: 3,
        o: 6,
        s: 2,
        pad: { top: 1, left: 1, bottom: 1, right: 1 },
        rate: 1,
        doc: 'CONV2D logits producer, stride 2 same padding (in-bounds taps only), ea = 1 (the observed range)',
      },
      kernelField,
    ),
  ];
}
