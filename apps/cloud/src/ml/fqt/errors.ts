/** Typed errors of the fully quantized training reference. */
export type FqtErrorCode =
  /** A graph the FQT reference does not train (branches or ops without a backward pass, §6.6.2). */
  | 'UNSUPPORTED'
  /** Bad training parameters (rates, layers, batch). */
  | 'BAD_CONFIG'
  /** A value leaves what PROTOCOL.md §6 allows (scale ratio, non-finite loss). */
  | 'OUT_OF_RANGE';

export class FqtError extends Error {
  override readonly name = 'FqtError';
  constructor(
    readonly code: FqtErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
