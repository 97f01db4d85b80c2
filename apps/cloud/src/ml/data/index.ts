/**
 * Data set loaders. `loadDataset(name)` reads classification data sets by name; `loadRaccoon` reads the
 * detection set. Formats and normalisation: README.md in this folder.
 */
import { resolve } from 'node:path';
import { type CsvOptions, loadCsvWindows } from './csv.js';
import { type DetectionDataset, type DetectionOptions, loadDetection } from './detection.js';
import { type FsddOptions, loadFsdd } from './fsdd.js';
import { loadMnist } from './mnist.js';
import { defaultDatasetsDir } from './paths.js';
import { loadPngFolder, type PngFolderOptions } from './png-folder.js';
import { type Dataset, DatasetError } from './types.js';

export { AudioFrontEnd, DEFAULT_FRONT_END, type FrontEndConfig } from './audio/index.js';
export { type CsvDataset, type CsvOptions, loadCsvWindows } from './csv.js';
export {
  type Box,
  type DetectionDataset,
  type DetectionImage,
  type DetectionOptions,
  type DetectionSample,
  type DetectionSplit,
  decodeImage,
  loadDetection,
  scaleBoxes,
} from './detection.js';
export { clearFsddCache, type FsddDataset, type FsddOptions, type FsddUtterance, loadFsdd } from './fsdd.js';
export { loadMnist, type MnistDataset, type MnistRaw } from './mnist.js';
export { defaultDatasetsDir } from './paths.js';
export { loadPngFolder, type PngFolderDataset, type PngFolderOptions, type PngSplit } from './png-folder.js';
export { seededRandom, shuffle } from './split.js';
export * from './types.js';
export { encodeWav, parseWav, type WavAudio } from './wav.js';

export interface LoadOptions {
  /** Root holding `mnist/` and `fsdd/` (default `defaultDatasetsDir()`); `csv:` / `png:` paths are relative to cwd. */
  readonly dir?: string;
  /** fsdd and csv: [T, C] ('series', default) or [T, C, 1] ('image'). */
  readonly layout?: 'series' | 'image';
  /** csv and png without an explicit split: seeded, stratified `testFraction` (default 0.2) goes to test. */
  readonly seed?: number;
  readonly testFraction?: number;
  /** fsdd front end and length; see `FsddOptions`. */
  readonly fsdd?: Omit<FsddOptions, 'layout'>;
  /** png: forced channel count and decode cache size; see `PngFolderOptions`. */
  readonly png?: Pick<PngFolderOptions, 'channels' | 'cacheSize'>;
}

/** Loads `mnist`, `fsdd`, `csv:<file>` or `png:<dir>`. */
export async function loadDataset(name: string, opts: LoadOptions = {}): Promise<Dataset> {
  const root = opts.dir ?? defaultDatasetsDir();
  const split = { seed: opts.seed, testFraction: opts.testFraction };
  if (name === 'mnist') return loadMnist(resolve(root, 'mnist'));
  if (name === 'fsdd') return loadFsdd(resolve(root, 'fsdd'), { ...opts.fsdd, layout: opts.layout });
  if (name.startsWith('csv:')) {
    const csv: CsvOptions = { ...split, layout: opts.layout };
    return loadCsvWindows(resolve(name.slice(4)), csv);
  }
  if (name.startsWith('png:')) return loadPngFolder(resolve(name.slice(4)), { ...split, ...opts.png });
  throw new DatasetError('unknown data set; use mnist, fsdd, csv:<file> or png:<dir>', name, {
    code: 'invalid_argument',
  });
}

/** The raccoon detection set (default `<datasets>/raccoon`). */
export function loadRaccoon(dir?: string, opts: DetectionOptions = {}): Promise<DetectionDataset> {
  return loadDetection(dir ?? resolve(defaultDatasetsDir(), 'raccoon'), 'raccoon', opts);
}
