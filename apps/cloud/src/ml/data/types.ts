/**
 * The data set contract between loaders (this folder) and the trainer (`../train`).
 * Inputs are float32, NHWC without the batch axis: images [H, W, C], time series / audio features [T, C].
 */

/**
 * One labelled example. `x.length` equals the product of the data set's `inputShape`.
 * Loaders in this folder hand out a fresh `x` on every `get`, so the caller may modify it (augmentation).
 */
export interface Sample {
  readonly x: Float32Array;
  readonly y: number;
}

/** A split with random access; `get` may read from disk (streaming loaders) but must be deterministic. */
export interface DataSplit {
  readonly size: number;
  get(index: number): Sample;
}

/**
 * How `x` derives from 8-bit raw data, where it does (MNIST, PNG folders): `x = (raw - zeroPoint) * scale`.
 * The quantizer can reuse it as the input tensor's quantization parameters.
 */
export interface InputEncoding {
  readonly raw: 'uint8';
  readonly scale: number;
  readonly zeroPoint: number;
}

/** A split whose inputs are 8-bit raw data (see `Dataset.inputEncoding`); `getRaw` returns a fresh copy. */
export interface RawDataSplit extends DataSplit {
  getRaw(index: number): Uint8Array;
}

export function isRawSplit(split: DataSplit): split is RawDataSplit {
  return typeof (split as Partial<RawDataSplit>).getRaw === 'function';
}

export interface Dataset {
  /** e.g. "mnist", "fsdd", "csv:path", "png:dir". */
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly train: DataSplit;
  readonly test: DataSplit;
  /** Present when every input is an affine image of uint8 raw data. */
  readonly inputEncoding?: InputEncoding;
}

/**
 * What went wrong, for callers that branch on it:
 * - `not_found`: a file or folder is missing or unreadable;
 * - `corrupt`: a file is truncated, has a bad magic number or malformed content;
 * - `unsupported`: a well-formed file in a variant we do not read (e.g. 24-bit or stereo WAV);
 * - `mismatch`: files disagree (image and label counts, image sizes);
 * - `invalid_argument`: the caller asked for something impossible (unknown data set name, bad option).
 */
export type DatasetErrorCode = 'not_found' | 'corrupt' | 'unsupported' | 'mismatch' | 'invalid_argument';

/** A data set file is missing, unreadable or corrupt; `path` names the file. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly code: DatasetErrorCode;
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown; code?: DatasetErrorCode },
  ) {
    super(`${message} (${path})`, options);
    this.code = options?.code ?? 'corrupt';
  }
}
