/** Kernel vectors of the pools (PROTOCOL.md §6.3.6, §6.3.7), from the cloud's integer reference. */
import { kernels } from '@tinyfleet/cloud/quant';
import { type NnCase, Rng, scalar, tensor } from './nn-case.js';
import { NO_PAD, out, type Pad, same3 } from './nn-weighted.js';

export function poolCases(): NnCase[] {
  const cases: NnCase[] = [];
  const pool = (
    name: string,
    kind: 'max' | 'avg',
    seed: number,
    h: number,
    w: number,
    c: number,
    win: number,
    s: number,
    pad: Pad,
    clamp = { actMin: 0, actMax: 255 },
  ): void => {
    const r = new Rng(seed);
    const x = r.u8(h * w * c);
    const oh = out(h, win, s, 1, pad.top, pad.bottom);
    const ow = out(w, win, s, 1, pad.left, pad.right);
    const y = new Uint8Array(oh * ow * c);
    const g = {
      inH: h,
      inW: w,
      C: c,
      outH: oh,
      outW: ow,
      window: [win, win] as const,
      strides: [s, s] as const,
      pad,
    };
    kernels.pool(kind, g, clamp, x, y);
    cases.push({
      name,
      op: kind === 'max' ? 'MAXPOOL2D' : 'AVGPOOL2D',
      doc: `${win}x${win} window, stride ${s}; avg rounds to nearest, ties away from zero, over in-bounds taps`,
      fields: [
        scalar('stride_h', s),
        scalar('stride_w', s),
        scalar('window_h', win),
        scalar('window_w', win),
        scalar('pad_top', pad.top),
        scalar('pad_left', pad.left),
        scalar('pad_bottom', pad.bottom),
        scalar('pad_right', pad.right),
        scalar('act_min', clamp.actMin),
        scalar('act_max', clamp.actMax),
        tensor('x', [1, h, w, c], x),
        tensor('y', [1, oh, ow, c], y),
      ],
    });
  };
  pool('maxpool-2x2', 'max', 51, 6, 6, 3, 2, 2, NO_PAD);
  pool('maxpool-3x3-same', 'max', 52, 5, 5, 2, 3, 1, same3, { actMin: 40, actMax: 200 });
  pool('avgpool-2x2', 'avg', 53, 6, 6, 3, 2, 2, NO_PAD);
  pool('avgpool-3x3-same', 'avg', 54, 5, 5, 2, 3, 1, same3);
  const gap = (name: string, seed: number, h: number, w: number, c: number, x?: Uint8Array): void => {
    const xs = x ?? new Rng(seed).u8(h * w * c);
    const y = new Uint8Array(c);
    kernels.globalAvgPool(h * w, c, xs, y);
    cases.push({
      name,
      op: 'GLOBAL_AVGPOOL',
      doc: 'mean over H x W, rounded to nearest, ties away from zero',
      fields: [tensor('x', [1, h, w, c], xs), tensor('y', [1, 1, 1, c], y)],
    });
  };
  gap('global-avgpool-4x4', 55, 4, 4, 3);
  // sums of 1 + 2*k over 2 positions: every mean is an exact .5 tie
  gap('global-avgpool-ties', 56, 1, 2, 4, Uint8Array.of(0, 1, 254, 100, 1, 2, 255, 103));
  return cases;
}
