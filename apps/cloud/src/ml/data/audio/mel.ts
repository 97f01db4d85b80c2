/**
 * Mel filter bank, HTK style: mel(f) = 2595 log10(1 + f / 700); `numFilters` triangles whose edges are
 * `numFilters + 2` points equally spaced in mel between `lowHz` and `highHz`; each triangle peaks at 1 on its
 * centre frequency (no area normalisation) and is evaluated at the FFT bin frequencies k * sampleRate / fftSize.
 */

export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

export interface MelFilter {
  /** First FFT bin with a non-zero weight. */
  readonly start: number;
  readonly weights: Float64Array;
  readonly centreHz: number;
}

export interface MelBankConfig {
  readonly sampleRate: number;
  readonly fftSize: number;
  readonly numFilters: number;
  readonly lowHz: number;
  readonly highHz: number;
}

export function melFilterBank(cfg: MelBankConfig): MelFilter[] {
  const { sampleRate, fftSize, numFilters, lowHz, highHz } = cfg;
  if (!(lowHz >= 0 && highHz > lowHz && highHz <= sampleRate / 2)) {
    throw new RangeError(`mel range ${lowHz}-${highHz} Hz must lie within 0-${sampleRate / 2} Hz`);
  }
  const lowMel = hzToMel(lowHz);
  const step = (hzToMel(highHz) - lowMel) / (numFilters + 1);
  const edges = Array.from({ length: numFilters + 2 }, (_, i) => melToHz(lowMel + i * step));
  const bins = fftSize / 2 + 1;
  const binHz = sampleRate / fftSize;
  const filters: MelFilter[] = [];
  for (let m = 0; m < numFilters; m++) {
    const left = edges[m] as number;
    const centre = edges[m + 1] as number;
    const right = edges[m + 2] as number;
    const w: number[] = [];
    let start = -1;
    for (let k = 0; k < bins; k++) {
      const f = k * binHz;
      let v = 0;
      if (f > left && f <= centre) v = (f - left) / (centre - left);
      else if (f > centre && f < right) v = (right - f) / (right - centre);
      if (v > 0) {
        if (start < 0) start = k;
        w[k - start] = v;
      } else if (start >= 0) break;
    }
    filters.push({ start: Math.max(start, 0), weights: Float64Array.from(w), centreHz: centre });
  }
  return filters;
}

/** Applies the bank to a power spectrum: out[m] = sum_k w_m[k] * power[k]. */
export function applyMel(filters: readonly MelFilter[], power: Float64Array, out: Float64Array): void {
  for (let m = 0; m < filters.length; m++) {
    const f = filters[m] as MelFilter;
    let acc = 0;
    for (let j = 0; j < f.weights.length; j++)
      acc += (f.weights[j] as number) * (power[f.start + j] as number);
    out[m] = acc;
  }
}

/** Orthonormal DCT-II basis, [numCoeffs, size] row-major: c[k] = s_k sum_m x[m] cos(pi k (m + 1/2) / size). */
export function dctMatrix(numCoeffs: number, size: number): Float64Array {
  const out = new Float64Array(numCoeffs * size);
  for (let k = 0; k < numCoeffs; k++) {
    const s = k === 0 ? Math.sqrt(1 / size) : Math.sqrt(2 / size);
    for (let m = 0; m < size; m++) out[k * size + m] = s * Math.cos((Math.PI * k * (m + 0.5)) / size);
  }
  return out;
}
