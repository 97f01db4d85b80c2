/**
 * The data set contract between loaders (this folder) and the trainer (`../train`).
 * Inputs are float32, NHWC without the batch axis: images [H, W, C], time series / audio features [T, C].
 */

/** One labelled example. `x.length` equals the product of the data set's `inputShape`. */
export interface Sample {
  readonly x: Float32Array;
  readonly y: number;
}

/** A split with random access; `get` may read from disk (streaming loaders) but must be deterministic. */
export interface DataSplit {
  readonly size: number;
  get(index: number): Sample;
}

export interface Dataset {
  /** e.g. "mnist", "fsdd", "csv:path", "png:dir". */
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly train: DataSplit;
  readonly test: DataSplit;
}

/** A data set file is missing, unreadable or corrupt; `path` names the file. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${path})`, options);
  }
}
