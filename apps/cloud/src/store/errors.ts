/** Typed store errors: a code the API maps to an HTTP status, and the cause kept. */
export type StoreErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'BAD_CURSOR' | 'MIGRATION_FAILED' | 'CORRUPT_ROW';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}
