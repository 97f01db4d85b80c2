/**
 * MNIST from the original IDX files (gzip-compressed or not) in `<dir>/mnist/`.
 * Normalisation: x = pixel / 255 in [0, 1] (no mean/std shift), shape [28, 28, 1]; the raw uint8 pixels stay
 * available in `raw` (and `inputEncoding` = { scale: 1/255, zeroPoint: 0 }) for the quantizer.
 */
import { join } from 'node:path';
import { isFile } from './files.js';
import { readIdx } from './idx.js';
import { checkIndex } from './split.js';
import { type Dataset, DatasetError, type InputEncoding, type RawDataSplit } from './types.js';

export interface MnistRaw {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** [count, rows, cols] pixels, 0 = background. */
  readonly images: Uint8Array;
  /** [count] digits 0-9. */
  readonly labels: Uint8Array;
}

export interface MnistDataset extends Dataset {
  readonly inputEncoding: InputEncoding;
  readonly train: RawDataSplit;
  readonly test: RawDataSplit;
  readonly raw: { readonly train: MnistRaw; readonly test: MnistRaw };
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

const ENCODING: InputEncoding = { raw: 'uint8', scale: 1 / 255, zeroPoint: 0 };

/** `mnistDir` is the folder holding the four IDX files (e.g. `<datasets>/mnist`). */
export async function loadMnist(mnistDir: string): Promise<MnistDataset> {
  const [train, test] = await Promise.all([
    loadPair(mnistDir, FILES.train[0], FILES.train[1]),
    loadPair(mnistDir, FILES.test[0], FILES.test[1]),
  ]);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DatasetError(
      `train images are ${train.rows}x${train.cols} but test images ${test.rows}x${test.cols}`,
      mnistDir,
      { code: 'mismatch' },
    );
  }
  return {
    name: 'mnist',
    inputShape: [train.rows, train.cols, 1],
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: rawSplit(train),
    test: rawSplit(test),
    inputEncoding: ENCODING,
    raw: { train, test },
  };
}

/** Prefers `<name>.gz`, falls back to the uncompressed `<name>`. */
function resolve(dir: string, name: string): string {
  const gz = join(dir, `${name}.gz`);
  const plain = join(dir, name);
  return !isFile(gz) && isFile(plain) ? plain : gz;
}

async function loadPair(dir: string, imagesName: string, labelsName: string): Promise<MnistRaw> {
  const imagesPath = resolve(dir, imagesName);
  const labelsPath = resolve(dir, labelsName);
  const [images, labels] = await Promise.all([readIdx(imagesPath, 3), readIdx(labelsPath, 1)]);
  const [count = 0, rows = 0, cols = 0] = images.dims;
  const nLabels = labels.dims[0] ?? 0;
  if (count !== nLabels) {
    throw new DatasetError(`${count} images but ${nLabels} labels in ${labelsPath}`, imagesPath, {
      code: 'mismatch',
    });
  }
  const bad = labels.data.findIndex((y) => y > 9);
  if (bad >= 0)
    throw new DatasetError(`label ${labels.data[bad]} at index ${bad} is not a digit`, labelsPath);
  return { count, rows, cols, images: images.data, labels: labels.data };
}

function rawSplit(raw: MnistRaw): RawDataSplit {
  const len = raw.rows * raw.cols;
  const scale = ENCODING.scale;
  return {
    size: raw.count,
    get(index: number) {
      checkIndex(index, raw.count);
      const src = raw.images.subarray(index * len, (index + 1) * len);
      const x = new Float32Array(len);
      for (let i = 0; i < len; i++) x[i] = (src[i] as number) * scale;
      return { x, y: raw.labels[index] as number };
    },
    getRaw(index: number) {
      checkIndex(index, raw.count);
      return raw.images.slice(index * len, (index + 1) * len);
    },
  };
}
