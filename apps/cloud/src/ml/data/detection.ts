/**
 * Object-detection data sets laid out like raccoon (README.md, "Raccoon"): `images/*.jpg`, boxes in Pascal VOC
 * XML (`annotations/*.xml`) or in CSV (`train_labels.csv` / `test_labels.csv`: filename, width, height,
 * class, xmin, ymin, xmax, ymax). Loader only: images are decoded on demand, resized to a square.
 */
import { basename, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { parseDecimal, splitCsvLine } from './csv-line.js';
import { isDir, isFile, listDir, mapLimit, readDataFile, readDataFileSync } from './files.js';
import { cached, LruCache } from './lru.js';
import { resizeToFloat } from './resize.js';
import { checkIndex, stratifiedSplit } from './split.js';
import { DatasetError } from './types.js';
import { parseVoc, type VocAnnotation } from './voc.js';

/** [class index, xmin, ymin, xmax, ymax], in pixels of the image the box belongs to. */
export type Box = readonly [cls: number, xmin: number, ymin: number, xmax: number, ymax: number];

export interface DetectionImage {
  readonly file: string;
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly Box[];
}

export interface DetectionSample {
  /** RGB [size, size, 3] in [0, 1], the whole image stretched to the square (aspect ratio not kept). */
  readonly x: Float32Array;
  /** Boxes scaled to the size x size image. */
  readonly boxes: readonly Box[];
}

export interface DetectionSplit {
  readonly size: number;
  get(index: number): DetectionSample;
}

export interface DetectionDataset {
  readonly name: string;
  readonly classNames: readonly string[];
  readonly source: 'voc' | 'csv';
  readonly train: readonly DetectionImage[];
  readonly test: readonly DetectionImage[];
  /** Decodes (JPEG or PNG) and resizes one image to [size, size, 3] floats in [0, 1]. */
  decode(image: DetectionImage, size: number): Float32Array;
  /** Random access to decoded samples at one input size, through an LRU cache of `cacheSize` images. */
  split(images: readonly DetectionImage[], size: number, cacheSize?: number): DetectionSplit;
}

export interface DetectionOptions {
  /** Where boxes come from; default 'voc' when `annotations/` exists, else 'csv'. */
  readonly source?: 'voc' | 'csv';
  /** Used when there are no train/test label CSVs to split by: seeded 80/20 over images. */
  readonly seed?: number;
}

interface RawObject {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly name?: string;
  readonly box?: readonly [number, number, number, number];
}

const SPLIT_CSVS = ['train_labels.csv', 'test_labels.csv'] as const;

export async function loadDetection(
  dir: string,
  name: string,
  opts: DetectionOptions = {},
): Promise<DetectionDataset> {
  if (!isDir(dir)) throw new DatasetError(`${name} folder not found`, dir, { code: 'not_found' });
  const source = opts.source ?? (isDir(join(dir, 'annotations')) ? 'voc' : 'csv');
  const objects = source === 'voc' ? await vocObjects(join(dir, 'annotations')) : await csvObjects(dir);
  const classNames = [...new Set(objects.flatMap((o) => (o.name === undefined ? [] : [o.name])))].sort();
  const byFile = new Map<string, { width: number; height: number; boxes: Box[] }>();
  for (const o of objects) {
    let img = byFile.get(o.file);
    if (!img) {
      img = { width: o.width, height: o.height, boxes: [] };
      byFile.set(o.file, img);
    }
    if (o.name !== undefined && o.box) img.boxes.push([classNames.indexOf(o.name), ...o.box]);
  }
  const images: DetectionImage[] = [...byFile.keys()].sort(naturalCompare).map((file) => {
    const img = byFile.get(file) as { width: number; height: number; boxes: Box[] };
    const path = join(dir, 'images', file);
    if (!isFile(path))
      throw new DatasetError(`annotated image ${file} is missing`, path, { code: 'not_found' });
    return { file, path, ...img };
  });
  const { train, test } = await splitImages(dir, images, opts.seed ?? 0);
  return { name, classNames, source, train, test, decode: decodeImage, split: detectionSplit };
}

async function vocObjects(annDir: string): Promise<RawObject[]> {
  const files = (await listDir(annDir, 'annotations folder')).filter((f) => f.toLowerCase().endsWith('.xml'));
  if (files.length === 0) throw new DatasetError('no .xml annotations', annDir, { code: 'not_found' });
  const anns = await mapLimit(files, 32, async (f): Promise<VocAnnotation> => {
    const path = join(annDir, f);
    return parseVoc((await readDataFile(path, 'VOC annotation')).toString('utf8'), path);
  });
  return anns.flatMap((a): RawObject[] => {
    const base = { file: basename(a.filename), width: a.width, height: a.height };
    if (a.objects.length === 0) return [base];
    return a.objects.map((o) => ({ ...base, name: o.name, box: [o.xmin, o.ymin, o.xmax, o.ymax] as const }));
  });
}

async function csvObjects(dir: string): Promise<RawObject[]> {
  const out: RawObject[] = [];
  for (const name of SPLIT_CSVS) {
    const path = join(dir, name);
    const lines = (await readDataFile(path, 'label CSV')).toString('utf8').split(/\r?\n/);
    lines.forEach((line, i) => {
      if (i === 0 || line.trim() === '') return;
      const parsed = splitCsvLine(line);
      const f = parsed.ok ? parsed.fields : [];
      const nums = [1, 2, 4, 5, 6, 7].map((k) => parseDecimal(f[k] ?? ''));
      if (f.length !== 8 || nums.some((v) => v === undefined)) {
        throw new DatasetError(
          `line ${i + 1}: expected filename,width,height,class,xmin,ymin,xmax,ymax`,
          path,
        );
      }
      const [width, height, xmin, ymin, xmax, ymax] = nums as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      out.push({ file: f[0] as string, width, height, name: f[3] as string, box: [xmin, ymin, xmax, ymax] });
    });
  }
  return out;
}

async function splitImages(dir: string, images: DetectionImage[], seed: number) {
  const [trainCsv, testCsv] = SPLIT_CSVS.map((n) => join(dir, n));
  if (isFile(trainCsv as string) && isFile(testCsv as string)) {
    const text = (await readDataFile(testCsv as string, 'label CSV')).toString('utf8');
    const testFiles = new Set(
      text
        .split(/\r?\n/)
        .slice(1)
        .map((l) => l.split(',')[0]?.trim() ?? ''),
    );
    return {
      train: images.filter((im) => !testFiles.has(im.file)),
      test: images.filter((im) => testFiles.has(im.file)),
    };
  }
  const s = stratifiedSplit(new Int32Array(images.length), 0.2, seed);
  return {
    train: s.train.map((i) => images[i] as DetectionImage),
    test: s.test.map((i) => images[i] as DetectionImage),
  };
}

export function decodeImage(image: DetectionImage, size: number): Float32Array {
  const file = readDataFileSync(image.path, 'image');
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    rgba = image.path.toLowerCase().endsWith('.png')
      ? PNG.sync.read(file)
      : jpeg.decode(file, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new DatasetError(`cannot decode image: ${msg}`, image.path, { cause });
  }
  if (rgba.width !== image.width || rgba.height !== image.height) {
    throw new DatasetError(
      `image is ${rgba.width}x${rgba.height} but annotated as ${image.width}x${image.height}`,
      image.path,
      { code: 'mismatch' },
    );
  }
  return resizeToFloat(rgba.data, rgba.width, rgba.height, 4, 3, size, size, 1 / 255);
}

/** Boxes of `image` in the coordinates of its size x size resized copy. */
export function scaleBoxes(image: DetectionImage, size: number): Box[] {
  const sx = size / image.width;
  const sy = size / image.height;
  return image.boxes.map(([c, x0, y0, x1, y1]) => [c, x0 * sx, y0 * sy, x1 * sx, y1 * sy] as const);
}

export function detectionSplit(
  images: readonly DetectionImage[],
  size: number,
  cacheSize = 256,
): DetectionSplit {
  const cache = new LruCache<number, Float32Array>(cacheSize);
  return {
    size: images.length,
    get(index) {
      checkIndex(index, images.length);
      const image = images[index] as DetectionImage;
      const x = cached(cache, index, () => decodeImage(image, size));
      return { x: x.slice(), boxes: scaleBoxes(image, size) };
    },
  };
}

/** "raccoon-2.jpg" before "raccoon-10.jpg". */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
