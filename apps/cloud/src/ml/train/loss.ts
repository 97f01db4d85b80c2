/** Softmax cross-entropy on logits [n, k] with integer labels. */

export interface LossResult {
  /** Mean loss over the n samples. */
  readonly loss: number;
  /** Number of samples whose arg-max equals the label. */
  readonly correct: number;
}

/**
 * Mean softmax cross-entropy; if `dlogits` is given, writes d(mean loss)/d(logits) into it.
 * `labels[i]` must be in [0, k).
 */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  k: number,
  dlogits?: Float32Array,
): LossResult {
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const o = r * k;
    let mx = Number.NEGATIVE_INFINITY;
    let arg = 0;
    for (let i = 0; i < k; i++) {
      const v = logits[o + i]!;
      if (v > mx) {
        mx = v;
        arg = i;
      }
    }
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.exp(logits[o + i]! - mx);
    const label = labels[r]!;
    loss += Math.log(s) + mx - logits[o + label]!;
    if (arg === label) correct++;
    if (dlogits) {
      for (let i = 0; i < k; i++) {
        const p = Math.exp(logits[o + i]! - mx) / s;
        dlogits[o + i] = (p - (i === label ? 1 : 0)) / n;
      }
    }
  }
  return { loss: loss / n, correct };
}
