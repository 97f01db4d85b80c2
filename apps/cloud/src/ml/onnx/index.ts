/** ONNX interop: export TinyFleet graphs (opset 13, NCHW) and import PyTorch-style ONNX models. */
export { OnnxError, type OnnxErrorCode } from './errors.js';
export { EXPORT_IR_VERSION, EXPORT_OPSET, type ExportOptions, exportOnnx, toOnnxModel } from './export.js';
export {
  type ImportOptions,
  type ImportResult,
  importOnnx,
  MAX_IMPORT_OPSET,
  MIN_IMPORT_OPSET,
  SUPPORTED_IMPORT_OPS,
} from './import.js';
export { nchwToNhwc, nhwcToNchw } from './layout.js';
