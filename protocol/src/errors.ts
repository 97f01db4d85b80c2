/** Typed protocol errors (PROTOCOL.md §1.5): every decoder rejects bad input with one of these. */
import { ErrorCode, type ErrorCodeName } from './constants/index.js';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** Symbolic code from the constants table. */
  readonly code: ErrorCodeName;

  constructor(code: ErrorCodeName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Numeric wire value of the code (§1.5). */
  get wireCode(): number {
    return ErrorCode[this.code];
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}

/** Run `fn`; any non-ProtocolError thrown inside becomes a ProtocolError with `code`, cause kept. */
export function wrapErrors<T>(code: ErrorCodeName, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new ProtocolError(code, `${what}: ${msg}`, { cause: e });
  }
}
