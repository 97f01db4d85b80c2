/**
 * Integer requantization, exactly as PROTOCOL.md §6.2 defines it: a float32 scale ratio becomes a Q31
 * multiplier and a power-of-two shift (derived with integer steps from the float32 bits, so a device
 * without an FPU reproduces it), applied with the saturating rounding doubling high multiply and the
 * rounding divide by a power of two (the gemmlowp / TFLite Micro pair).
 */
import { QuantError } from './errors.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;

/** A requantization: `real ≈ multiplier * 2^-31 * 2^shift`, multiplier 0 or in [2^30, 2^31). */
export interface Requant {
  readonly multiplier: number;
  readonly shift: number;
}

export function saturate32(x: number): number {
  return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : x;
}

/**
 * PROTOCOL.md §6.2.3: SRDHM(a, b) = floor((a*b + 2^30) / 2^31) (ties toward +infinity), except
 * SRDHM(INT32_MIN, INT32_MIN) = INT32_MAX. Exact for all int32 a, b: the 62-bit product is split so
 * every partial sum stays below 2^53.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bl = b & 0x7fff; // b = bh * 2^15 + bl, 0 <= bl < 2^15
  const bh = (b - bl) / 32768;
  const p = a * bh; // |p| <= 2^47, exact
  const ph = Math.floor(p / 65536); // p = ph * 2^16 + pl
  const pl = p - ph * 65536;
  // a*b + 2^30 = ph * 2^31 + (pl * 2^15 + a * bl + 2^30), the bracket below 2^48 in magnitude
  return ph + Math.floor((pl * 32768 + a * bl + 1073741824) / TWO_31);
}

/**
 * PROTOCOL.md §6.2.4: RDBP(x, e) = x / 2^e rounded to nearest, ties away from zero, 0 <= e <= 31;
 * the C form is `(x >> e) + ((x & mask) > ((mask >> 1) + (x < 0)))`.
 */
export function rdbp(x: number, e: number): number {
  if (e === 0) return x;
  const div = 2 ** e;
  const floor = Math.floor(x / div);
  const rem = x - floor * div; // x & mask
  const threshold = div / 2 - 1 + (x < 0 ? 1 : 0); // (mask >> 1) + (x < 0)
  return floor + (rem > threshold ? 1 : 0);
}

/**
 * PROTOCOL.md §6.2.5: requantize an int32 value: RDBP(SRDHM(sat32(x * 2^max(shift, 0)), M),
 * max(-shift, 0)).
 */
export function requantize(x: number, r: Requant): number {
  if (r.multiplier === 0) return 0;
  const left = r.shift > 0 ? r.shift : 0;
  const right = r.shift > 0 ? 0 : -r.shift;
  return rdbp(srdhm(left > 0 ? saturate32(x * 2 ** left) : x, r.multiplier), right);
}

/** A positive float32 as m * 2^e with m in [2^23, 2^24) (PROTOCOL.md §6.2.1). */
export function decodeScale(scale: number): { m: number; e: number } {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, scale, true);
  const bits = view.getUint32(0, true);
  const biased = (bits >>> 23) & 0xff;
  if (bits >>> 31 !== 0 || biased === 0xff || (bits & 0x7fffffff) === 0) {
    throw new QuantError('OUT_OF_RANGE', `scale ${scale} is not a finite float32 > 0`);
  }
  let m = bits & 0x7fffff;
  let e: number;
  if (biased === 0) {
    e = -149; // subnormal: m * 2^-149, normalised below
    while (m < 0x800000) {
      m *= 2;
      e -= 1;
    }
  } else {
    m |= 0x800000;
    e = biased - 150;
  }
  return { m, e };
}

/**
 * PROTOCOL.md §6.2.2: the requantization of the real ratio `a * b * 2^p / c` of three float32 scales,
 * by integer steps only: num = m_a * m_b, den = m_c, the smallest k in {6, 7, 8} with
 * num * 2^k >= den * 2^30, M = round_half_up(num * 2^k / den) (if M = 2^31: M = 2^30, k -= 1),
 * shift = 31 - k + e_a + e_b - e_c + p. Shift above 30: OUT_OF_RANGE; below -31: M = 0 (result 0).
 */
export function deriveRequant(a: number, b: number, c: number, p = 0): Requant {
  const A = decodeScale(a);
  const B = decodeScale(b);
  const C = decodeScale(c);
  const num = BigInt(A.m) * BigInt(B.m);
  const den = BigInt(C.m);
  let k = 6;
  while (num << BigInt(k) < den << 30n) k++;
  const scaled = num << BigInt(k);
  let q = scaled / den;
  const rem = scaled - q * den;
  if (2n * rem >= den) q += 1n;
  if (q === 1n << 31n) {
    q = 1n << 30n;
    k -= 1;
  }
  const shift = 31 - k + A.e + B.e - C.e + p;
  if (shift > 30) {
    throw new QuantError('OUT_OF_RANGE', `scale ratio ${(a * b * 2 ** p) / c} needs a left shift above 30`);
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: Number(q), shift };
}

/** The real value a requantization stands for (for tests and reports). */
export function requantValue(r: Requant): number {
  return (r.multiplier / TWO_31) * 2 ** r.shift;
}
