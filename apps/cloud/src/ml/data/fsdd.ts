/**
 * Free Spoken Digit Dataset: `{digit}_{speaker}_{index}.wav`, 8 kHz 16-bit PCM mono, in `<dir>/recordings`
 * (or directly in `<dir>`). Test split: indices 0-4 of each speaker and digit (the data set's README); the
 * rest is train. Features: see `audio/frontend.ts` and README.md ("FSDD features").
 */
import { basename, join, resolve } from 'node:path';
import { AudioFrontEnd, DEFAULT_FRONT_END, type Frames, type FrontEndConfig } from './audio/index.js';
import { isDir, listDir, mapLimit, readDataFile } from './files.js';
import { checkIndex } from './split.js';
import { type DataSplit, type Dataset, DatasetError } from './types.js';
import { parseWav } from './wav.js';

export interface FsddOptions {
  /** Overrides of the front-end parameters (defaults: `DEFAULT_FRONT_END`). */
  readonly frontEnd?: Partial<FrontEndConfig>;
  /** Fixed length T in frames (default 98 = 1 s at a 10 ms hop with 25 ms windows). */
  readonly numFrames?: number;
  /** 'series' gives inputShape [T, C] (default); 'image' gives [T, C, 1] for 2-D convolutions. */
  readonly layout?: 'series' | 'image';
  /** Keep computed features in memory for later loads of the same folder and parameters (default true). */
  readonly cache?: boolean;
}

export interface FsddUtterance {
  readonly path: string;
  readonly digit: number;
  readonly speaker: string;
  readonly index: number;
  /** Frames before padding / cropping to T. */
  readonly frames: number;
}

export interface FsddDataset extends Dataset {
  readonly frontEnd: FrontEndConfig;
  readonly numFrames: number;
  /** Per-channel statistics of the train split's real (unpadded) frames: x = (feature - mean) / std. */
  readonly normalisation: { readonly mean: Float32Array; readonly std: Float32Array };
  readonly utterances: { readonly train: readonly FsddUtterance[]; readonly test: readonly FsddUtterance[] };
  /** The same pipeline for a new recording (mono samples in [-1, 1) at `frontEnd.sampleRate`): [T * C]. */
  featurize(samples: Float32Array): Float32Array;
}

interface Part {
  readonly utterances: FsddUtterance[];
  readonly frames: Frames[];
}

interface Core {
  readonly frontEnd: FrontEndConfig;
  readonly numFrames: number;
  readonly channels: number;
  readonly mean: Float32Array;
  readonly std: Float32Array;
  readonly train: { readonly utterances: FsddUtterance[]; readonly x: Float32Array };
  readonly test: { readonly utterances: FsddUtterance[]; readonly x: Float32Array };
  readonly featurize: (samples: Float32Array) => Float32Array;
}

const NAME = /^(\d)_([A-Za-z0-9-]+)_(\d+)\.wav$/;
const TEST_INDICES = 5; // indices 0-4 form the test split
const cache = new Map<string, Promise<Core>>();

export async function loadFsdd(dir: string, opts: FsddOptions = {}): Promise<FsddDataset> {
  const frontEnd: FrontEndConfig = { ...DEFAULT_FRONT_END, ...opts.frontEnd };
  const numFrames = opts.numFrames ?? 98;
  if (!Number.isInteger(numFrames) || numFrames < 1) {
    throw new DatasetError(`numFrames must be a positive integer, got ${numFrames}`, dir, {
      code: 'invalid_argument',
    });
  }
  try {
    new AudioFrontEnd(frontEnd); // validates the parameters before any file is read
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new DatasetError(`bad front-end parameters: ${msg}`, dir, { cause, code: 'invalid_argument' });
  }
  const key = JSON.stringify([resolve(dir), frontEnd, numFrames]);
  let core = opts.cache === false ? undefined : cache.get(key);
  if (!core) {
    core = computeCore(dir, frontEnd, numFrames);
    if (opts.cache !== false) {
      cache.set(key, core);
      core.catch(() => cache.delete(key));
    }
  }
  const c = await core;
  const C = c.channels;
  return {
    name: 'fsdd',
    inputShape: opts.layout === 'image' ? [numFrames, C, 1] : [numFrames, C],
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: split(c.train.utterances, c.train.x, numFrames * C),
    test: split(c.test.utterances, c.test.x, numFrames * C),
    frontEnd: c.frontEnd,
    numFrames,
    normalisation: { mean: c.mean, std: c.std },
    utterances: { train: c.train.utterances, test: c.test.utterances },
    featurize: c.featurize,
  };
}

/** Forgets the in-memory feature cache. */
export function clearFsddCache(): void {
  cache.clear();
}

async function computeCore(dir: string, frontEnd: FrontEndConfig, numFrames: number): Promise<Core> {
  const wavDir = isDir(join(dir, 'recordings')) ? join(dir, 'recordings') : dir;
  const names = (await listDir(wavDir, 'FSDD recordings folder')).filter((n) =>
    n.toLowerCase().endsWith('.wav'),
  );
  if (names.length === 0) throw new DatasetError('no .wav files', wavDir, { code: 'not_found' });
  const files = names.map((n) => parseName(join(wavDir, n))).sort(byUtterance);
  const fe = new AudioFrontEnd(frontEnd);
  const frames = await mapLimit(files, 32, async (u) => {
    const wav = parseWav(await readDataFile(u.path, 'WAV file'), u.path);
    if (wav.sampleRate !== frontEnd.sampleRate) {
      throw new DatasetError(`sample rate ${wav.sampleRate} Hz, expected ${frontEnd.sampleRate} Hz`, u.path, {
        code: 'unsupported',
      });
    }
    return fe.compute(wav.samples);
  });
  const train: Part = { utterances: [], frames: [] };
  const test: Part = { utterances: [], frames: [] };
  files.forEach((u, i) => {
    const part = u.index < TEST_INDICES ? test : train;
    const f = frames[i] as Frames;
    part.utterances.push({ ...u, frames: f.count });
    part.frames.push(f);
  });
  const { mean, std } = channelStats(train.frames, fe.channels);
  const pack = (p: Part): Float32Array => {
    const len = numFrames * fe.channels;
    const x = new Float32Array(p.frames.length * len);
    p.frames.forEach((f, i) => {
      fitFrames(f, numFrames, mean, std, x.subarray(i * len, (i + 1) * len));
    });
    return x;
  };
  const featurize = (samples: Float32Array): Float32Array => {
    const out = new Float32Array(numFrames * fe.channels);
    fitFrames(fe.compute(samples), numFrames, mean, std, out);
    return out;
  };
  return {
    frontEnd,
    numFrames,
    channels: fe.channels,
    mean,
    std,
    train: { utterances: train.utterances, x: pack(train) },
    test: { utterances: test.utterances, x: pack(test) },
    featurize,
  };
}

function parseName(path: string): Omit<FsddUtterance, 'frames'> {
  const m = NAME.exec(basename(path));
  if (!m) throw new DatasetError('WAV name is not {digit}_{speaker}_{index}.wav', path, { code: 'corrupt' });
  return { path, digit: Number(m[1]), speaker: m[2] as string, index: Number(m[3]) };
}

function byUtterance(a: Omit<FsddUtterance, 'frames'>, b: Omit<FsddUtterance, 'frames'>): number {
  return (
    a.digit - b.digit || (a.speaker < b.speaker ? -1 : a.speaker > b.speaker ? 1 : 0) || a.index - b.index
  );
}

/** Mean and standard deviation per channel over all frames (std below 1e-6 becomes 1). */
export function channelStats(
  parts: readonly Frames[],
  channels: number,
): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  let n = 0;
  for (const f of parts) {
    for (let i = 0; i < f.data.length; i++) {
      const v = f.data[i] as number;
      const c = i % channels;
      sum[c] = (sum[c] as number) + v;
      sq[c] = (sq[c] as number) + v * v;
    }
    n += f.count;
  }
  const mean = new Float32Array(channels);
  const std = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = n > 0 ? (sum[c] as number) / n : 0;
    const s = n > 0 ? Math.sqrt(Math.max((sq[c] as number) / n - m * m, 0)) : 1;
    mean[c] = m;
    std[c] = s < 1e-6 ? 1 : s;
  }
  return { mean, std };
}

/**
 * Normalises `frames` per channel and centres them in T frames: a longer utterance keeps its middle T frames,
 * a shorter one is padded on both sides with zeros (= the train mean after normalisation).
 */
export function fitFrames(
  frames: Frames,
  T: number,
  mean: Float32Array,
  std: Float32Array,
  out: Float32Array,
): void {
  const C = frames.channels;
  out.fill(0);
  const shift = Math.floor((T - frames.count) / 2); // > 0 pads, < 0 crops
  for (let t = 0; t < T; t++) {
    const s = t - shift;
    if (s < 0 || s >= frames.count) continue;
    for (let c = 0; c < C; c++) {
      out[t * C + c] = ((frames.data[s * C + c] as number) - (mean[c] as number)) / (std[c] as number);
    }
  }
}

function split(utterances: readonly FsddUtterance[], x: Float32Array, len: number): DataSplit {
  return {
    size: utterances.length,
    get(index: number) {
      checkIndex(index, utterances.length);
      return { x: x.slice(index * len, (index + 1) * len), y: (utterances[index] as FsddUtterance).digit };
    },
  };
}
