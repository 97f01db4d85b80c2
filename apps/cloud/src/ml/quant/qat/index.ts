/** Quantization-aware training (fake quantization with straight-through gradients), the PTQ fallback. */
export { type QatOptions, type QatResult, type QatTraining, qat, spreadSubset } from './qat.js';
export { type FakeQuantGraphOptions, fakeQuantGraph, stripFakeQuant } from './transform.js';
