/**
 * Audio front end: pre-emphasis, framing, Hann window, power spectrum, mel filter bank, log, optional DCT-II.
 * Every constant lives in `FrontEndConfig`, so that firmware can reproduce the same steps with the same
 * numbers. Defaults and the reasons for them: ../README.md, "FSDD features".
 */
import { RealFft } from './fft.js';
import { applyMel, dctMatrix, type MelFilter, melFilterBank } from './mel.js';

export interface FrontEndConfig {
  readonly sampleRate: number;
  /** y[n] = x[n] - a x[n-1] (y[0] = x[0]); 0 disables it. */
  readonly preEmphasis: number;
  /** Frame length and hop, in samples. */
  readonly windowSize: number;
  readonly hopSize: number;
  /** Power-of-two FFT length >= windowSize; the windowed frame is zero-padded to it. */
  readonly fftSize: number;
  readonly numMel: number;
  readonly lowHz: number;
  readonly highHz: number;
  /** Mel energies are clamped to at least this before the natural log. */
  readonly logFloor: number;
  /** 'mfcc': DCT-II (orthonormal) of the log-mel energies, first `numCoeffs` kept; 'logmel': the log-mel. */
  readonly features: 'mfcc' | 'logmel';
  readonly numCoeffs: number;
}

/** The FSDD defaults: 8 kHz, 25 ms / 10 ms frames, 256-point FFT, 40 mel bands 20-4000 Hz, 13 MFCCs. */
export const DEFAULT_FRONT_END: FrontEndConfig = {
  sampleRate: 8000,
  preEmphasis: 0.97,
  windowSize: 200,
  hopSize: 80,
  fftSize: 256,
  numMel: 40,
  lowHz: 20,
  highHz: 4000,
  logFloor: 1e-6,
  features: 'mfcc',
  numCoeffs: 13,
};

export interface Frames {
  readonly count: number;
  readonly channels: number;
  /** [count, channels] row-major. */
  readonly data: Float32Array;
}

export class AudioFrontEnd {
  readonly channels: number;
  readonly filters: readonly MelFilter[];
  readonly #fft: RealFft;
  readonly #window: Float64Array;
  readonly #dct: Float64Array | undefined;
  readonly #frame: Float64Array;
  readonly #re: Float64Array;
  readonly #im: Float64Array;
  readonly #power: Float64Array;
  readonly #mel: Float64Array;

  constructor(readonly config: FrontEndConfig) {
    const c = config;
    if (c.windowSize < 1 || c.hopSize < 1 || c.fftSize < c.windowSize) {
      throw new RangeError(`bad framing: window ${c.windowSize}, hop ${c.hopSize}, FFT ${c.fftSize}`);
    }
    if (c.features === 'mfcc' && !(c.numCoeffs >= 1 && c.numCoeffs <= c.numMel)) {
      throw new RangeError(`numCoeffs ${c.numCoeffs} must be in 1..numMel (${c.numMel})`);
    }
    this.#fft = new RealFft(c.fftSize);
    this.filters = melFilterBank({ ...c, numFilters: c.numMel });
    this.#dct = c.features === 'mfcc' ? dctMatrix(c.numCoeffs, c.numMel) : undefined;
    this.channels = c.features === 'mfcc' ? c.numCoeffs : c.numMel;
    // Periodic Hann window: w[n] = 0.5 - 0.5 cos(2 pi n / N).
    this.#window = new Float64Array(c.windowSize);
    for (let n = 0; n < c.windowSize; n++)
      this.#window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / c.windowSize);
    this.#frame = new Float64Array(c.fftSize);
    this.#re = new Float64Array(this.#fft.bins);
    this.#im = new Float64Array(this.#fft.bins);
    this.#power = new Float64Array(this.#fft.bins);
    this.#mel = new Float64Array(c.numMel);
  }

  /** Frames in a signal of `length` samples: 1 + floor((length - window) / hop), at least 1 (zero-padded). */
  frameCount(length: number): number {
    const { windowSize, hopSize } = this.config;
    return length <= windowSize ? 1 : 1 + Math.floor((length - windowSize) / hopSize);
  }

  compute(signal: Float32Array): Frames {
    const c = this.config;
    const count = this.frameCount(signal.length);
    const C = this.channels;
    const data = new Float32Array(count * C);
    const frame = this.#frame;
    for (let f = 0; f < count; f++) {
      const start = f * c.hopSize;
      frame.fill(0);
      for (let n = 0; n < c.windowSize; n++) {
        const i = start + n;
        if (i >= signal.length) break;
        const prev = i > 0 ? (signal[i - 1] as number) : 0;
        frame[n] = ((signal[i] as number) - c.preEmphasis * prev) * (this.#window[n] as number);
      }
      this.#fft.powerSpectrum(frame, this.#power, this.#re, this.#im);
      applyMel(this.filters, this.#power, this.#mel);
      for (let m = 0; m < c.numMel; m++)
        this.#mel[m] = Math.log(Math.max(this.#mel[m] as number, c.logFloor));
      const row = f * C;
      if (this.#dct) {
        for (let k = 0; k < C; k++) {
          let acc = 0;
          for (let m = 0; m < c.numMel; m++)
            acc += (this.#dct[k * c.numMel + m] as number) * (this.#mel[m] as number);
          data[row + k] = acc;
        }
      } else {
        for (let m = 0; m < C; m++) data[row + m] = this.#mel[m] as number;
      }
    }
    return { count, channels: C, data };
  }
}
