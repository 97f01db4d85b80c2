/**
 * Float inputs -> uint8 in the model input's quantization: `q = clamp(round(x / scale) + zeroPoint, 0, 255)`,
 * rounding half away from zero (as the cloud's quantizer and the firmware do), so that
 * `x ≈ (q - zeroPoint) * scale`. Parameters are compared as float32, the way they travel (§4.3 item 4).
 */

/** Both parameter pairs are the same on the wire (float32 scale, uint8 zero point). */
export function sameEncoding(
  a: { scale: number; zeroPoint: number },
  b: { scale: number; zeroPoint: number },
) {
  return Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint;
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** Quantizes `x` into a new array. */
export function quantize(x: ArrayLike<number>, scale: number, zeroPoint: number): Uint8Array {
  const out = new Uint8Array(x.length);
  const inv = 1 / Math.fround(scale);
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfAway((x[i] ?? 0) * inv) + zeroPoint;
    out[i] = Math.max(0, Math.min(255, q));
  }
  return out;
}

/** `(q - zeroPoint) * scale` for each byte. */
export function dequantize(q: Uint8Array, scale: number, zeroPoint: number): Float32Array {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = ((q[i] ?? 0) - zeroPoint) * scale;
  return out;
}

/** Image inversion (demo domain shift) on raw 8-bit data: `255 - raw`, in place. */
export function invertRaw(raw: Uint8Array): Uint8Array {
  for (let i = 0; i < raw.length; i++) raw[i] = 255 - (raw[i] ?? 0);
  return raw;
}

/** 32-bit integer hash (xorshift-multiply), deterministic across platforms. */
export function hash32(a: number, b: number, c: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ c) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A deterministic order over `size` items, a new permutation per epoch (Fisher-Yates driven by
 * `hash32(seed, epoch, step)`): `at(seq)` is the item of session sample `seq`.
 */
export class SeededOrder {
  #epoch = -1;
  #perm: Uint32Array = new Uint32Array(0);

  constructor(
    readonly size: number,
    readonly seed: number,
  ) {}

  at(seq: number): number {
    const epoch = Math.floor(seq / this.size);
    if (epoch !== this.#epoch) {
      const p = new Uint32Array(this.size);
      for (let i = 0; i < p.length; i++) p[i] = i;
      for (let i = p.length - 1; i > 0; i--) {
        const j = hash32(this.seed, epoch, i) % (i + 1);
        const t = p[i] ?? 0;
        p[i] = p[j] ?? 0;
        p[j] = t;
      }
      this.#perm = p;
      this.#epoch = epoch;
    }
    return this.#perm[seq - epoch * this.size] ?? 0;
  }
}
