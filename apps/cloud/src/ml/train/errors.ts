export type TrainErrorCode =
  | 'CLASS_MISMATCH'
  | 'INPUT_MISMATCH'
  | 'BAD_CONFIG'
  | 'BAD_LABEL'
  | 'EMPTY_SPLIT'
  | 'WORKERS_FAILED';

/** A training or evaluation request that cannot work with the given model and data. */
export class TrainError extends Error {
  override readonly name = 'TrainError';
  constructor(
    readonly code: TrainErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
