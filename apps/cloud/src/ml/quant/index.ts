/**
 * 8-bit quantization (PROTOCOL.md §6): post-training quantization, the integer reference
 * interpreter (the executable spec of the C kernels), artifact writing, the ONNX Runtime check, and
 * quantization-aware training as the fallback when PTQ loses accuracy.
 */
export { type ArenaPlan, planArena } from './arena.js';
export { type ArtifactOptions, toArtifactModel, writeQuantizedArtifact } from './artifact.js';
export { type CalibrationOptions, calibrate, type Range } from './calibrate.js';
export * as elementwise from './elementwise.js';
export { QuantError, type QuantErrorCode } from './errors.js';
export { evaluateQuantized, type QuantEval, quantizedInput } from './evaluate.js';
export { argmax, Interpreter } from './interpreter.js';
export * as kernels from './kernels.js';
export { type PtqOptions, postTrainingQuantize, prepareFloatGraph, quantizeGraph } from './ptq.js';
export * from './qat/index.js';
export { deriveRequant, type Requant, rdbp, requantize, srdhm } from './requant.js';
export * from './types.js';
