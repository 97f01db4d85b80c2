/** Domain shifts of 8-bit image splits for the FQT experiment: inverted (255 - x) or rotated by 90°. */
import { type DataSplit, type InputEncoding, isRawSplit, type RawDataSplit } from '../data/types.js';
import { FqtError } from './errors.js';

export type Shift = 'invert' | 'rotate';

/** out[y, x] = in[W - 1 - x, y] per channel (a 90° counter-clockwise turn of a square image). */
export function rotate90(raw: Uint8Array, h: number, w: number, c: number): Uint8Array {
  if (h !== w) throw new FqtError('BAD_CONFIG', `rotation needs a square image, got ${h}x${w}`);
  const out = new Uint8Array(raw.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = raw[((w - 1 - x) * w + y) * c + k]!;
  return out;
}

/** The first `limit` samples of `split`, shifted; inputs stay 8-bit with the encoding `enc`. */
export function shiftSplit(
  split: DataSplit,
  shift: Shift,
  shape: readonly number[],
  enc: InputEncoding,
  limit = split.size,
): RawDataSplit {
  if (!isRawSplit(split))
    throw new FqtError('BAD_CONFIG', 'the FQT experiment needs an 8-bit image data set');
  const [h, w, c] = shape.length === 3 ? shape : [1, shape[0]!, shape[1] ?? 1];
  const raw = (i: number): Uint8Array => {
    const r = split.getRaw(i);
    return shift === 'invert' ? r.map((v) => 255 - v) : rotate90(r, h!, w!, c!);
  };
  return {
    size: Math.min(limit, split.size),
    getRaw: raw,
    get: (i) => ({ x: Float32Array.from(raw(i), (v) => (v - enc.zeroPoint) * enc.scale), y: split.get(i).y }),
  };
}
