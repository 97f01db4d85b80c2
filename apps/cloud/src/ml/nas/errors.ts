/** Typed errors of the NAS module. */

export type NasErrorCode =
  | 'BAD_GENOME'
  | 'BAD_PROFILE'
  | 'BAD_OPTIONS'
  | 'NO_FEASIBLE'
  | 'PROXY_FAILED'
  | 'EVAL_FAILED'
  | 'INPUT_MISMATCH';

export class NasError extends Error {
  override readonly name = 'NasError';
  constructor(
    readonly code: NasErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
