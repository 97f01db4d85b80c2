/**
 * The logits producer (PROTOCOL.md §6.6.6 step 2a) and the range tracking of the logits (§6.6.7,
 * `ea`): the producer's forward accumulators, bias included, give the observed real range of the
 * logits before requantization and clamping; once per step the tracker follows it with rate `ea`
 * and the logits take the tracker's qparams.
 */
import type { QParams } from '../quant/types.js';
import type { ChainOp, TrainedChain, WeightedInfo } from './model.js';
import { emaRange, f32, i2f, qparamsF32, type Range } from './numerics.js';

/** Integer min / max of a set of accumulators; `n` = 0 before the first observation. */
export interface AccBounds {
  mn: number;
  mx: number;
  n: number;
}

export const emptyBounds = (): AccBounds => ({ mn: 0, mx: 0, n: 0 });

function observe(b: AccBounds, acc: number): void {
  if (b.n === 0 || acc < b.mn) b.mn = acc;
  if (b.n === 0 || acc > b.mx) b.mx = acc;
  b.n++;
}

/**
 * PROTOCOL.md §6.6.7: the int32 accumulators of §6.3.2 / §6.3.4 (`bias + Σ (x - z_x) * (w - z_w)`,
 * wrapping) of every output of a DENSE, CONV2D or CONV1D (weights OI / OHWI), folded into `b`.
 */
export function accumulatorBounds(
  w: Pick<WeightedInfo, 'kind' | 'geom' | 'inputs' | 'structures'>,
  x: Uint8Array,
  xz: number,
  wq: Uint8Array,
  wz: number,
  bias: Int32Array,
  b: AccBounds,
): void {
  if (w.kind === 'dense') {
    for (let o = 0; o < w.structures; o++) {
      let acc = bias[o]!;
      const base = o * w.inputs;
      for (let i = 0; i < w.inputs; i++) acc = (acc + (x[i]! - xz) * (wq[base + i]! - wz)) | 0;
      observe(b, acc);
    }
    return;
  }
  const g = w.geom!;
  const [kh, kw] = g.kernel;
  for (let oy = 0; oy < g.outH; oy++)
    for (let ox = 0; ox < g.outW; ox++)
      for (let o = 0; o < g.outC; o++) {
        let acc = bias[o]!;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * g.strides[0] - g.pad.top + ky * g.dilation[0];
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * g.strides[1] - g.pad.left + kx * g.dilation[1];
            if (ix < 0 || ix >= g.inW) continue;
            const xb = (iy * g.inW + ix) * g.inC;
            const wb = ((o * kh + ky) * kw + kx) * g.inC;
            for (let c = 0; c < g.inC; c++) acc = (acc + (x[xb + c]! - xz) * (wq[wb + c]! - wz)) | 0;
          }
        }
        observe(b, acc);
      }
}

/**
 * PROTOCOL.md §6.6.6 step 2a, §6.6.7: the *logits producer*, the last weighted op of the chain when
 * it is a DENSE, CONV2D or CONV1D with the plain clamp [0, 255] (and z_y != 0, else §6.6.3 sees a
 * ReLU cut) and only RESHAPE ops follow it (so
 * the logits are its output, and adding the same value to every structure's output leaves the
 * softmax unchanged); null otherwise. `values`: its output and every value after it.
 */
export function logitsProducer(chain: TrainedChain): { op: ChainOp; values: string[] } | null {
  const ops = chain.ops;
  let i = ops.length - 1;
  while (i >= 0 && ops[i]!.node.op === 'reshape') i--;
  const op = ops[i];
  const w = op?.weighted;
  // a clamp [0, 255] with z_y = 0 is a ReLU cut for §6.6.3: not shift invariant
  const plain = w && w.node.actMin === 0 && w.node.actMax === 255 && op.y.q.zeroPoint !== 0;
  if (!op || !w || w.kind === 'depthwise' || !plain) return null;
  return { op, values: ops.slice(i).map((o) => o.node.output) };
}

/** The logits tracker of a session (PROTOCOL.md §6.6.7, `ea` > 0). */
export class LogitsTracker {
  /** Binary32 tracker, from the artifact qparams of the logits. */
  range: Range;
  qp: QParams;
  private bounds = emptyBounds();

  constructor(
    readonly op: ChainOp,
    /** Values that share the logits qparams: the producer's output and the RESHAPEs after it. */
    readonly values: readonly string[],
    readonly rate: number,
  ) {
    const q = op.y.q;
    this.qp = q;
    this.range = { lo: f32(q.scale * (0 - q.zeroPoint)), hi: f32(q.scale * (255 - q.zeroPoint)) };
  }

  /** The producer's accumulators of one sample (its input `x`, the step-start weights). */
  observe(x: Uint8Array, w: { q: Uint8Array; qp: QParams }, bias: Int32Array): void {
    accumulatorBounds(this.op.weighted!, x, this.op.x.q.zeroPoint, w.q, w.qp.zeroPoint, bias, this.bounds);
  }

  /**
   * After the step's last sample, before the update: observed range with the unit
   * f32(s_x * s_w) of the step-start weight scale, tracker, new qparams.
   */
  endStep(wScale: number): QParams {
    const b = this.bounds;
    const u = f32(this.op.x.q.scale * wScale);
    const observed = { lo: f32(u * i2f(b.mn)), hi: f32(u * i2f(b.mx)) };
    if (b.n > 0) this.range = emaRange(this.range, observed, this.rate);
    this.bounds = emptyBounds();
    this.qp = qparamsF32(this.range);
    return this.qp;
  }
}
