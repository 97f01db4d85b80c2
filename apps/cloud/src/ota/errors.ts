/** Typed OTA errors: a code the API maps to an HTTP status, the cause kept. */
export type OtaErrorCode =
  | 'NOT_FOUND'
  | 'BAD_STATE'
  | 'INVALID'
  | 'NO_SIGNING_KEY'
  | 'NO_ELIGIBLE_DEVICES'
  | 'NO_PREVIOUS_VERSION';

export class OtaError extends Error {
  override readonly name = 'OtaError';
  readonly code: OtaErrorCode;

  constructor(code: OtaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isOtaError(e: unknown): e is OtaError {
  return e instanceof OtaError;
}
