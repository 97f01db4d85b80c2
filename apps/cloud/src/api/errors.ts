/** HTTP errors: a status, a stable code clients can branch on, a message, optional details. */
import type { ErrorCodeName } from '@tinyfleet/protocol/constants';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isStoreError } from '../store/index.js';
import { type Issue, ValidationError } from './validate/index.js';

export type HttpErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'VALIDATION_FAILED'
  | 'BAD_JSON'
  | 'BAD_CURSOR'
  | 'BAD_STATE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UPSTREAM_FAILED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  /** A protocol check refused the input (e.g. an artifact: SHA_MISMATCH, BAD_SIGNATURE; PROTOCOL.md §1.5). */
  | ErrorCodeName;

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: ContentfulStatusCode;
  readonly code: HttpErrorCode;
  readonly details: Issue[] | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: HttpErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Issue[] },
  ) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = options?.details;
  }

  toJSON(): { error: { code: HttpErrorCode; message: string; details?: Issue[] } } {
    return {
      error: { code: this.code, message: this.message, ...(this.details && { details: this.details }) },
    };
  }
}

/** Map anything thrown by a handler to an HttpError; unknown errors become a 500 with the cause kept. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof ValidationError) {
    return new HttpError(400, 'VALIDATION_FAILED', e.message, { cause: e, details: e.issues });
  }
  if (isStoreError(e)) {
    switch (e.code) {
      case 'NOT_FOUND':
        return new HttpError(404, 'NOT_FOUND', e.message, { cause: e });
      case 'CONFLICT':
        return new HttpError(409, 'CONFLICT', e.message, { cause: e });
      case 'BAD_CURSOR':
        return new HttpError(400, 'BAD_CURSOR', e.message, { cause: e });
      default:
        return new HttpError(500, 'INTERNAL', 'internal error', { cause: e });
    }
  }
  return new HttpError(500, 'INTERNAL', 'internal error', { cause: e });
}
