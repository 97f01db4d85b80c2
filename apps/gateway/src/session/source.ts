/**
 * Data sources of labelled samples for on-device training (PROTOCOL.md §4.3). Samples are uint8 tensors
 * in the model input's quantization (`scale`, `zeroPoint` MUST equal the model input's, §4.3 item 4).
 *
 * Only a synthetic source exists in this increment: the cloud's data set loaders (MNIST, FSDD, CSV) are
 * not exported by `@tinyfleet/cloud` (its `./ml` export has no `data`), and workspaces import each other
 * only through their exports.
 */
export interface LabelledSample {
  readonly x: Uint8Array;
  readonly y: number;
}

export interface DataSource {
  readonly name: string;
  /** Shape of one sample, NHWC without the batch dimension. */
  readonly shape: readonly number[];
  readonly classes: number;
  /** Samples in one epoch. */
  readonly size: number;
  readonly scale: number;
  readonly zeroPoint: number;
  /** Sample `i mod size`; deterministic. */
  sample(i: number): LabelledSample;
}

export interface SyntheticOptions {
  readonly name: string;
  readonly shape: readonly number[];
  readonly classes: number;
  readonly size: number;
  readonly seed: number;
  readonly scale: number;
  readonly zeroPoint: number;
}

/** 32-bit integer hash (xorshift-multiply), deterministic across platforms. */
function hash(a: number, b: number, c: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ c) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Linearly separable synthetic classes: the flattened sample is cut into `classes` bands and class c
 * lights band c (values near 200) over low noise (0..47). Labels are spread by a hash of the index.
 */
export function syntheticSource(o: SyntheticOptions): DataSource {
  const len = o.shape.reduce((a, b) => a * b, 1);
  return {
    name: o.name,
    shape: [...o.shape],
    classes: o.classes,
    size: o.size,
    scale: o.scale,
    zeroPoint: o.zeroPoint,
    sample(i) {
      const k = ((i % o.size) + o.size) % o.size;
      const y = hash(k, 0, o.seed) % o.classes;
      const x = new Uint8Array(len);
      for (let p = 0; p < len; p++) {
        const band = Math.floor((p * o.classes) / len);
        const noise = hash(k, p + 1, o.seed) & 0x2f;
        x[p] = band === y ? 200 + (noise & 0x1f) : noise;
      }
      return { x, y };
    },
  };
}
