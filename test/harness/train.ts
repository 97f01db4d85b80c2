/**
 * A model the virtual MCUs can fine-tune without any data set on disk: the FQT tests' tiny CNN (8x8x1
 * input, 4 classes: the shape of the gateway's default synthetic source, input scale 1/255, zero point
 * 0), quantized by PTQ on generated images, with a training plan for its last two weighted layers
 * (PROTOCOL.md §5.6, §5.7). Used by the system tests; `npm start` builds a ref-cnn on MNIST instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { quadrantSplit, quantized, tinyCnn } from '@tinyfleet/cloud/fqt/testing';
import { writeQuantizedArtifact } from '@tinyfleet/cloud/quant';

/** The op indices trained on the device: c2 (conv, fused relu) and fc. */
export const TINY_TRAINABLE_OPS: readonly number[] = [2, 4];

/** The artifact (a training record with batch 1, λ 0.5, lr 0.005); another version is another model (§5.8). */
export function tinyTrainableArtifact(modelVersion = 1): Uint8Array {
  const f32 = Math.fround;
  return writeQuantizedArtifact(quantized(tinyCnn(), quadrantSplit(200, 1)), {
    modelVersion,
    name: 'tiny-cnn',
    trainable: TINY_TRAINABLE_OPS,
    training: { lambdaMin: f32(0.5), lambdaMax: f32(0.5), learningRate: f32(0.005), batchSize: 1 },
  });
}

/** Writes the artifact to `file` (for `vmcu --model`) and returns the path. */
export function writeTinyTrainableModel(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, tinyTrainableArtifact());
  return file;
}
