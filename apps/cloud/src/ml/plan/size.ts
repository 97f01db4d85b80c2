/**
 * Flash bytes of a model = the size of its artifact content, from the canonical layout of PROTOCOL.md
 * §5.1-§5.5 (exact, not an estimate): header, op and tensor records, per-channel qparams, the TRAIN
 * record and one 16-aligned data block per FLASH or RAM_COPY tensor. A signature adds
 * `P.ARTIFACT_SIG_BYTES` (§5.9), not counted here.
 */
import { P } from '@tinyfleet/protocol/constants';
import type { PlanGraph } from './graph.js';
import { align16 } from './greedy.js';

/** `extras`: ERROR + SAVED records; `trainableOps`: entries of the TRAIN section (0: no training). */
export function artifactBytes(g: PlanGraph, extras = 0, trainableOps = 0): number {
  const tensors = g.tensors.filter((t) => t.role !== 'extra');
  const channels = tensors.reduce((s, t) => s + t.channels, 0);
  const data = tensors.filter((t) => t.role === 'constant').reduce((s, t) => s + align16(t.bytes), 0);
  const train = trainableOps > 0 ? align16(P.ARTIFACT_TRAIN_BYTES + 2 * trainableOps) : 0;
  return (
    P.ARTIFACT_HEADER_BYTES +
    align16(P.ARTIFACT_OP_BYTES * g.ops.length) +
    align16(P.ARTIFACT_TENSOR_BYTES * (tensors.length + extras)) +
    align16(8 * channels) +
    train +
    data
  );
}
