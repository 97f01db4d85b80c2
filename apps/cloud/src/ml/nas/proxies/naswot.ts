/**
 * NASWOT (RESEARCH.md §4): at every ReLU, the binary code c = (activation > 0) of each sample;
 * K = sum over ReLUs of (C C^T + (1 - C)(1 - C)^T), i.e. K[i][j] = number of units on which samples
 * i and j agree; score = log |det K|. Codes are packed 32 per word, agreement = units - popcount(xor).
 */
import type { Plan } from '../../engine/plan.js';
import { shapeSize } from '../../graph/types.js';
import { logAbsDet } from './linalg.js';

export function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Packed activation codes: sample i's bits are `bits[i * words .. (i + 1) * words)`. */
export interface Codes {
  readonly n: number;
  readonly words: number;
  /** Real units (padding bits, zero for every sample, are not counted). */
  readonly units: number;
  readonly bits: Uint32Array;
}

/** Pack `(x > 0)` of each layer (n x size floats each), each layer starting on a word boundary. */
export function packCodes(layers: readonly { data: Float32Array; size: number }[], n: number): Codes {
  let words = 0;
  let units = 0;
  for (const l of layers) {
    words += Math.ceil(l.size / 32);
    units += l.size;
  }
  const bits = new Uint32Array(n * words);
  let w0 = 0;
  for (const { data, size } of layers) {
    for (let i = 0; i < n; i++) {
      const base = i * words + w0;
      const off = i * size;
      for (let j = 0; j < size; j++) if (data[off + j]! > 0) bits[base + (j >>> 5)]! |= 1 << (j & 31);
    }
    w0 += Math.ceil(size / 32);
  }
  return { n, words, units, bits };
}

/** K[i][j] = units on which samples i and j have the same code. */
export function naswotKernel(c: Codes): Float64Array {
  const { n, words, units, bits } = c;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    k[i * n + i] = units;
    for (let j = i + 1; j < n; j++) {
      let ham = 0;
      const a = i * words;
      const b = j * words;
      for (let w = 0; w < words; w++) ham += popcount32(bits[a + w]! ^ bits[b + w]!);
      k[i * n + j] = units - ham;
      k[j * n + i] = units - ham;
    }
  }
  return k;
}

export function naswotFromCodes(c: Codes): number {
  return logAbsDet(naswotKernel(c), c.n);
}

/** NASWOT of a plan after a forward pass over `n` samples (ReLU and ReLU6 outputs). */
export function naswot(plan: Plan, n: number): number {
  const layers = plan.graph.nodes
    .filter((node) => node.op === 'relu' || node.op === 'relu6')
    .map((node) => ({ data: plan.act(node.name).f32, size: shapeSize(plan.shapes.get(node.name)!) }));
  if (layers.length === 0) return Number.NaN;
  return naswotFromCodes(packCodes(layers, n));
}
