/**
 * Typed errors of ONNX import and export. `code` says what went wrong:
 * - `BAD_PROTOBUF`: the bytes are not an ONNX ModelProto;
 * - `MALFORMED`: the model is structurally wrong (no graph, dangling input, missing initializer...);
 * - `UNSUPPORTED_OPS`: ops outside the supported set; `ops` lists every one of them;
 * - `UNSUPPORTED`: a supported op with attributes or a data layout TinyFleet cannot represent;
 * - `SHAPE_MISMATCH`: tensor shapes that do not fit together;
 * - `BAD_GRAPH`: the TinyFleet graph (to export, or produced by import) fails shape inference.
 */
export type OnnxErrorCode =
  | 'BAD_PROTOBUF'
  | 'MALFORMED'
  | 'UNSUPPORTED_OPS'
  | 'UNSUPPORTED'
  | 'SHAPE_MISMATCH'
  | 'BAD_GRAPH';

export class OnnxError extends Error {
  override readonly name = 'OnnxError';
  constructor(
    readonly code: OnnxErrorCode,
    message: string,
    /** The ONNX node (import) or TinyFleet node (export) concerned, when there is one. */
    readonly node?: string,
    /** For `UNSUPPORTED_OPS`: every unsupported op type, once each. */
    readonly ops: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(node === undefined ? message : `node "${node}": ${message}`, options);
  }
}
