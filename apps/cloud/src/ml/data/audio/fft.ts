/**
 * Radix-2 FFTs on Float64Array, written for the audio front end (sizes 2^k, a few hundred points).
 * Convention: X[k] = sum_n x[n] e^{-2 pi i k n / N} (no scaling).
 */

/** In-place iterative radix-2 decimation-in-time complex FFT of a fixed size. */
export class ComplexFft {
  readonly #rev: Uint32Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;

  constructor(readonly size: number) {
    if (!isPowerOfTwo(size)) throw new RangeError(`FFT size ${size} is not a power of two`);
    const bits = Math.log2(size);
    this.#rev = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.#rev[i] = r;
    }
    const half = size >>> 1;
    this.#cos = new Float64Array(half);
    this.#sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.#sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  transform(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    const rev = this.#rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i] as number;
      if (j > i) {
        const tr = re[i] as number;
        re[i] = re[j] as number;
        re[j] = tr;
        const ti = im[i] as number;
        im[i] = im[j] as number;
        im[j] = ti;
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >>> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < half; k++) {
          const wr = this.#cos[k * step] as number;
          const wi = -(this.#sin[k * step] as number);
          const a = start + k;
          const b = a + half;
          const br = re[b] as number;
          const bi = im[b] as number;
          const tr = br * wr - bi * wi;
          const ti = br * wi + bi * wr;
          const ar = re[a] as number;
          const ai = im[a] as number;
          re[b] = ar - tr;
          im[b] = ai - ti;
          re[a] = ar + tr;
          im[a] = ai + ti;
        }
      }
    }
  }
}

/**
 * Real FFT of size N through one complex FFT of size N/2: pack z[m] = x[2m] + i x[2m+1], transform, then
 * untangle X[k] = E[k] + e^{-2 pi i k / N} O[k] with E[k] = (Z[k] + conj Z[N/2-k]) / 2 and
 * O[k] = (Z[k] - conj Z[N/2-k]) / 2i, for k = 0..N/2.
 */
export class RealFft {
  readonly bins: number;
  readonly #half: ComplexFft;
  readonly #zr: Float64Array;
  readonly #zi: Float64Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;

  constructor(readonly size: number) {
    if (!isPowerOfTwo(size) || size < 4)
      throw new RangeError(`real FFT size ${size} is not a power of two >= 4`);
    const m = size >>> 1;
    this.bins = m + 1;
    this.#half = new ComplexFft(m);
    this.#zr = new Float64Array(m);
    this.#zi = new Float64Array(m);
    this.#cos = new Float64Array(m + 1);
    this.#sin = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.#sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** Writes bins 0..N/2 of the spectrum of `x` (length N; shorter input is zero-padded) into outRe/outIm. */
  transform(x: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const m = this.size >>> 1;
    const zr = this.#zr;
    const zi = this.#zi;
    for (let i = 0; i < m; i++) {
      zr[i] = 2 * i < x.length ? (x[2 * i] as number) : 0;
      zi[i] = 2 * i + 1 < x.length ? (x[2 * i + 1] as number) : 0;
    }
    this.#half.transform(zr, zi);
    for (let k = 0; k <= m; k++) {
      const a = k % m;
      const b = (m - k) % m;
      const ar = zr[a] as number;
      const ai = zi[a] as number;
      const br = zr[b] as number; // conj(Z[m-k]) = (br, -bi)
      const bi = -(zi[b] as number);
      const er = (ar + br) / 2;
      const ei = (ai + bi) / 2;
      const dr = ar - br;
      const di = ai - bi;
      const or = di / 2; // (d) / 2i = (di, -dr) / 2
      const oi = -dr / 2;
      const wr = this.#cos[k] as number;
      const wi = -(this.#sin[k] as number);
      outRe[k] = er + wr * or - wi * oi;
      outIm[k] = ei + wr * oi + wi * or;
    }
  }

  /** |X[k]|^2 for k = 0..N/2. */
  powerSpectrum(
    x: ArrayLike<number>,
    out: Float64Array,
    scratchRe: Float64Array,
    scratchIm: Float64Array,
  ): void {
    this.transform(x, scratchRe, scratchIm);
    for (let k = 0; k < this.bins; k++) {
      const r = scratchRe[k] as number;
      const i = scratchIm[k] as number;
      out[k] = r * r + i * i;
    }
  }
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}
