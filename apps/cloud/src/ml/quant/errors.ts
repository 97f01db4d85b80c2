/** Typed errors of the quantizer, the integer interpreter and the ONNX Runtime check. */
export type QuantErrorCode =
  /** An op or a graph shape the quantizer does not handle (e.g. a batchNorm that cannot be folded). */
  | 'UNSUPPORTED'
  /** A scale, zero point or multiplier outside what PROTOCOL.md §6 allows. */
  | 'OUT_OF_RANGE'
  /** The quantized graph is inconsistent (unknown value, wrong shape). */
  | 'BAD_GRAPH'
  /** Calibration was given no samples. */
  | 'NO_DATA';

export class QuantError extends Error {
  override readonly name = 'QuantError';
  constructor(
    readonly code: QuantErrorCode,
    message: string,
    readonly node?: string,
    options?: { cause?: unknown },
  ) {
    super(node ? `${node}: ${message}` : message, options);
  }
}
