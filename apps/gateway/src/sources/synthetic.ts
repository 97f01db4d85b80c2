/**
 * Linearly separable synthetic classes, as a data set with raw uint8 inputs: the flattened sample is
 * cut into `classes` bands and class c lights band c (values near 200) over low noise (0..47). Labels
 * are spread by a hash of the index. No files needed: the default source and the tests use it.
 */
import type { Dataset, RawDataSplit } from '@tinyfleet/cloud/data';
import { dequantize, hash32 } from './quantize.js';
import { elements, type SyntheticConfig } from './types.js';

function split(c: SyntheticConfig, salt: number): RawDataSplit {
  const len = elements(c.shape);
  const seed = (c.seed ^ salt) >>> 0;
  const label = (k: number) => hash32(k, 0, seed) % c.classes;
  const raw = (k: number) => {
    const y = label(k);
    const x = new Uint8Array(len);
    for (let p = 0; p < len; p++) {
      const band = Math.floor((p * c.classes) / len);
      const noise = hash32(k, p + 1, seed) & 0x2f;
      x[p] = band === y ? 200 + (noise & 0x1f) : noise;
    }
    return x;
  };
  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= c.size)
      throw new RangeError(`index ${i} not in [0, ${c.size})`);
  };
  return {
    size: c.size,
    getRaw(i) {
      check(i);
      return raw(i);
    },
    get(i) {
      check(i);
      return { x: dequantize(raw(i), c.scale, c.zeroPoint), y: label(i) };
    },
  };
}

export function syntheticDataset(c: SyntheticConfig): Dataset {
  return {
    name: c.name,
    inputShape: [...c.shape],
    numClasses: c.classes,
    classNames: Array.from({ length: c.classes }, (_, i) => String(i)),
    train: split(c, 0),
    test: split(c, 0x5eed),
    inputEncoding: { raw: 'uint8', scale: c.scale, zeroPoint: c.zeroPoint },
  };
}
