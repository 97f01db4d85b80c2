/**
 * Error tensors from int32 accumulators with range tracking (PROTOCOL.md §6.6.2, §6.6.7): the real
 * value of an accumulator unit is a * b * 2^p (binary32 scales); the observed range comes from the
 * integer min / max of the accumulators (no float tensor), then the EMA tracker gives the qparams and
 * every accumulator is requantized with the Q31 multiplier of §6.2.
 */
import { QuantError } from '../quant/errors.js';
import { deriveRequant, requantize } from '../quant/requant.js';
import type { QParams } from '../quant/types.js';
import { FqtError } from './errors.js';
import { emaRange, f32, i2f, qparamsF32, type Range } from './numerics.js';

/** Real value of one accumulator unit: a * b * 2^p. */
export interface AccUnit {
  readonly a: number;
  readonly b: number;
  readonly p: number;
}

export interface QuantizedErrors {
  readonly q: Uint8Array;
  readonly qp: QParams;
  /** The tracker after this observation. */
  readonly range: Range;
}

/** PROTOCOL.md §6.6.2: observe, track (rate), quantize. `out` receives the uint8 errors. */
export function quantizeAccumulators(
  acc: Int32Array,
  unit: AccUnit,
  tracker: Range,
  rate: number,
  out: Uint8Array,
): QuantizedErrors {
  let mn = 0;
  let mx = 0;
  for (let i = 0; i < acc.length; i++) {
    const v = acc[i]!;
    if (i === 0 || v < mn) mn = v;
    if (i === 0 || v > mx) mx = v;
  }
  const u = f32(f32(unit.a * unit.b) * 2 ** unit.p);
  const observed = { lo: f32(u * i2f(mn)), hi: f32(u * i2f(mx)) };
  const range = emaRange(tracker, observed, rate);
  const qp = qparamsF32(range);
  let r: ReturnType<typeof deriveRequant>;
  try {
    r = deriveRequant(unit.a, unit.b, qp.scale, unit.p);
  } catch (err) {
    if (err instanceof QuantError) throw new FqtError('OUT_OF_RANGE', err.message, { cause: err });
    throw err;
  }
  for (let i = 0; i < acc.length; i++) {
    const v = qp.zeroPoint + requantize(acc[i]!, r);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { q: out, qp, range };
}
