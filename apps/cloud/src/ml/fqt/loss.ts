/**
 * The loss and the output error (PROTOCOL.md §6.6.5), integer up to the loss value: the integer
 * softmax of §6.3.11 on the uint8 logits gives p in Q8 (scale 1/256); the output error is
 * p - onehot(label) in Q8 (an int32 in [-256, 255]); the per-sample cross-entropy is the table entry
 * -ln(max(p_label, 1) / 256) in binary32.
 */
import { softmax } from '../quant/elementwise.js';
import { argmax } from '../quant/interpreter.js';
import type { QParams } from '../quant/types.js';
import { NEG_LN_Q8 } from './numerics.js';

export interface OutputError {
  /** p - onehot in units of 2^-8. */
  readonly acc: Int32Array;
  readonly loss: number;
  readonly correct: boolean;
}

export function outputError(logits: Uint8Array, q: QParams, label: number): OutputError {
  const p = new Uint8Array(logits.length);
  softmax(q, logits.length, logits, p);
  const acc = Int32Array.from(p, (v, i) => v - (i === label ? 256 : 0));
  return { acc, loss: NEG_LN_Q8[p[label]!]!, correct: argmax(logits) === label };
}
