/**
 * A folder per class of PNG images (README.md, "PNG folders"): `<dir>/<class>/*.png`, or
 * `<dir>/train/<class>/*.png` + `<dir>/test/<class>/*.png`. Headers are checked at load (same size for all);
 * pixels are decoded on `get` through an LRU cache of raw bytes. x = byte / 255, shape [H, W, C].
 */
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { isDir, listDir, mapLimit, readDataFileSync, subDirs } from './files.js';
import { cached, LruCache } from './lru.js';
import { isGreyColorType, type PngHeader, readPngHeader } from './png-header.js';
import { checkIndex, stratifiedSplit, testFractionOf } from './split.js';
import { type Dataset, DatasetError, type InputEncoding, type RawDataSplit } from './types.js';

export interface PngFolderOptions {
  /** 1 = grey, 3 = RGB; default: 1 when every image is grey (PNG colour type 0 or 4), else 3. */
  readonly channels?: 1 | 3;
  /** Split when there are no train/ and test/ folders: per class, a seeded `testFraction` (0.2) is test. */
  readonly seed?: number;
  readonly testFraction?: number;
  /** Decoded images kept in memory per split (default 1024); 0 disables the cache. */
  readonly cacheSize?: number;
}

export interface PngImageFile {
  readonly path: string;
  readonly label: number;
}

export interface PngSplit extends RawDataSplit {
  readonly files: readonly PngImageFile[];
}

export interface PngFolderDataset extends Dataset {
  readonly inputEncoding: InputEncoding;
  readonly train: PngSplit;
  readonly test: PngSplit;
}

const ENCODING: InputEncoding = { raw: 'uint8', scale: 1 / 255, zeroPoint: 0 };

export async function loadPngFolder(dir: string, opts: PngFolderOptions = {}): Promise<PngFolderDataset> {
  const testFraction = testFractionOf(opts.testFraction, dir);
  if (!isDir(dir)) throw new DatasetError('PNG folder not found', dir, { code: 'not_found' });
  const hasTrain = isDir(join(dir, 'train'));
  const hasTest = isDir(join(dir, 'test'));
  if (hasTrain !== hasTest) {
    throw new DatasetError('has only one of train/ and test/; give both or neither', dir, {
      code: 'invalid_argument',
    });
  }
  const roots = hasTrain ? [join(dir, 'train'), join(dir, 'test')] : [dir];
  const classNames = [...new Set(roots.flatMap((r) => subDirs(r)))].sort();
  if (classNames.length === 0) throw new DatasetError('no class folders', dir, { code: 'not_found' });
  const lists = await Promise.all(roots.map((r) => listImages(r, classNames)));
  const all = lists.flat();
  const headers = await mapLimit(all, 32, (f) => readPngHeader(f.path));
  const first = headers[0] as PngHeader;
  headers.forEach((h, i) => {
    if (h.width !== first.width || h.height !== first.height) {
      throw new DatasetError(
        `image is ${h.width}x${h.height} but ${(all[0] as PngImageFile).path} is ${first.width}x${first.height}; all images must share one size`,
        (all[i] as PngImageFile).path,
        { code: 'mismatch' },
      );
    }
  });
  const channels = opts.channels ?? (headers.every((h) => isGreyColorType(h.colorType)) ? 1 : 3);
  const shape = { width: first.width, height: first.height, channels };
  let trainFiles: PngImageFile[];
  let testFiles: PngImageFile[];
  if (hasTrain) {
    trainFiles = lists[0] ?? [];
    testFiles = lists[1] ?? [];
  } else {
    const s = stratifiedSplit(
      all.map((f) => f.label),
      testFraction,
      opts.seed ?? 0,
    );
    trainFiles = s.train.map((i) => all[i] as PngImageFile);
    testFiles = s.test.map((i) => all[i] as PngImageFile);
  }
  const cacheSize = opts.cacheSize ?? 1024;
  return {
    name: `png:${dir}`,
    inputShape: [first.height, first.width, channels],
    numClasses: classNames.length,
    classNames,
    train: pngSplit(trainFiles, shape, cacheSize),
    test: pngSplit(testFiles, shape, cacheSize),
    inputEncoding: ENCODING,
  };
}

async function listImages(root: string, classNames: readonly string[]): Promise<PngImageFile[]> {
  const out: PngImageFile[] = [];
  for (const [label, name] of classNames.entries()) {
    const classDir = join(root, name);
    if (!isDir(classDir)) continue; // a class may be absent from one split
    const pngs = (await listDir(classDir, 'class folder')).filter((f) => f.toLowerCase().endsWith('.png'));
    if (pngs.length === 0)
      throw new DatasetError('class folder has no .png files', classDir, { code: 'not_found' });
    for (const f of pngs) out.push({ path: join(classDir, f), label });
  }
  return out;
}

interface Shape {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

function pngSplit(files: readonly PngImageFile[], shape: Shape, cacheSize: number): PngSplit {
  const cache = new LruCache<number, Uint8Array>(cacheSize);
  const raw = (index: number): Uint8Array => {
    checkIndex(index, files.length);
    return cached(cache, index, (i) => decodePng((files[i] as PngImageFile).path, shape));
  };
  return {
    size: files.length,
    files,
    getRaw: (index) => raw(index).slice(),
    get(index) {
      const bytes = raw(index);
      const x = new Float32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) x[i] = (bytes[i] as number) * ENCODING.scale;
      return { x, y: (files[index] as PngImageFile).label };
    },
  };
}

/** Decodes to [H, W, C] bytes; alpha is dropped; RGB to grey uses luma 0.299 R + 0.587 G + 0.114 B. */
export function decodePng(path: string, shape: Shape): Uint8Array {
  const file = readDataFileSync(path, 'PNG file');
  let png: PNG;
  try {
    png = PNG.sync.read(file);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new DatasetError(`corrupt PNG: ${msg}`, path, { cause });
  }
  if (png.width !== shape.width || png.height !== shape.height) {
    throw new DatasetError(
      `decoded ${png.width}x${png.height}, expected ${shape.width}x${shape.height}`,
      path,
      {
        code: 'mismatch',
      },
    );
  }
  const n = shape.width * shape.height;
  const rgba = png.data; // pngjs always yields 8-bit RGBA
  const out = new Uint8Array(n * shape.channels);
  for (let p = 0; p < n; p++) {
    const r = rgba[4 * p] as number;
    const g = rgba[4 * p + 1] as number;
    const b = rgba[4 * p + 2] as number;
    if (shape.channels === 1) out[p] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  }
  return out;
}
