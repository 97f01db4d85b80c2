/** Accuracy of a quantized graph with the integer interpreter, on uint8 inputs (PROTOCOL.md §6.1). */
import { type DataSplit, isRawSplit } from '../data/types.js';
import { argmax, Interpreter } from './interpreter.js';
import { type QGraph, type QParams, size } from './types.js';
import { quantizeValue } from './weights.js';

/** The uint8 input of sample `i`: the raw bytes when the split has them, else x quantized. */
export function quantizedInput(split: DataSplit, i: number, q: QParams, n: number): Uint8Array {
  if (isRawSplit(split)) return split.getRaw(i);
  const x = split.get(i).x;
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) out[k] = quantizeValue(x[k]!, q);
  return out;
}

export interface QuantEval {
  readonly accuracy: number;
  readonly samples: number;
  /** Predicted class per evaluated sample. */
  readonly predictions: Int32Array;
}

export function evaluateQuantized(graph: QGraph, split: DataSplit, limit?: number): QuantEval {
  const interp = new Interpreter(graph);
  const inV = interp.value(graph.input);
  const n = Math.min(limit ?? split.size, split.size);
  const predictions = new Int32Array(n);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = interp.run(quantizedInput(split, i, inV.q, size(inV.shape)));
    predictions[i] = argmax(y);
    if (predictions[i] === split.get(i).y) correct++;
  }
  return { accuracy: n > 0 ? correct / n : 0, samples: n, predictions };
}
