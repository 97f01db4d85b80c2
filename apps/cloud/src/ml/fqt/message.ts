/**
 * The GRAD_UPDATE messages of a step (PROTOCOL.md §4.4.7, §6.6.9): k rows of es real values
 * (DELTA or GRADIENT) quantized to uint8 with qparams chosen from the values, split into several
 * messages when the rows exceed one message's limits.
 */
import { P } from '@tinyfleet/protocol/constants';
import type { GradKindName, GradUpdate } from '@tinyfleet/protocol/messages';
import { f32, quantizeF32 } from './numerics.js';

export interface GradRows {
  readonly sessionId: number;
  readonly step: number;
  readonly layer: number;
  readonly kind: GradKindName;
  readonly samplesSeen: number;
  readonly structures: number;
  readonly elements: number;
  /** Ascending structure indices. */
  readonly indices: Uint16Array;
  /** indices.length * elements real values, row r for indices[r]. */
  readonly values: Float32Array;
  readonly eps?: number;
  /** Message id of the r-th message. */
  readonly id: (part: number) => Uint8Array;
}

/**
 * PROTOCOL.md §4.4.7 item 3: lo = min(values, 0), hi = max(values, 0), qs = (hi - lo) / 255 (1 if 0),
 * qz = round_half_even(-lo / qs); binary32 steps.
 */
export function gradQParams(values: Float32Array): { scale: number; zeroPoint: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const d = f32(f32(hi) - f32(lo));
  const scale = d === 0 ? 1 : f32(d / 255);
  const z = quantizeF32(f32(0 - lo), { scale, zeroPoint: 0 });
  return { scale, zeroPoint: z };
}

/** PROTOCOL.md §4.4.7 item 5: rows per message so that q <= MESSAGE_MAX_TENSOR_BYTES. */
export function rowsPerMessage(elements: number): number {
  return Math.max(
    1,
    Math.min(P.MESSAGE_MAX_GRAD_STRUCTURES, Math.floor(P.MESSAGE_MAX_TENSOR_BYTES / elements)),
  );
}

export function gradUpdateMessages(r: GradRows): GradUpdate[] {
  const per = rowsPerMessage(r.elements);
  const out: GradUpdate[] = [];
  for (let from = 0, part = 0; from < r.indices.length; from += per, part++) {
    const to = Math.min(r.indices.length, from + per);
    const vals = r.values.subarray(from * r.elements, to * r.elements);
    const qp = gradQParams(vals);
    const q = Uint8Array.from(vals, (v) => quantizeF32(v, qp));
    out.push({
      type: 'GRAD_UPDATE',
      id: r.id(part),
      sessionId: r.sessionId,
      step: r.step,
      layer: r.layer,
      kind: r.kind,
      samplesSeen: r.samplesSeen,
      structures: r.structures,
      elements: r.elements,
      indices: r.indices.slice(from, to),
      values: q,
      scale: qp.scale,
      zeroPoint: qp.zeroPoint,
      ...(r.eps !== undefined ? { eps: r.eps } : {}),
    });
  }
  return out;
}
