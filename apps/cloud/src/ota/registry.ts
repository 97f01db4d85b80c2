/**
 * Model upload (PROTOCOL.md §5): the artifact is read with every §5.10 check, its signature verified
 * against the trusted keys (§5.9), or, when unsigned and the caller asked for it, signed with the cloud's
 * active key. Then it is stored content-addressed and registered. Throws ProtocolError for a bad artifact
 * (SHA_MISMATCH, BAD_SIGNATURE, ...), so the API can answer with the protocol's code.
 */

import { readArtifact, signArtifact, verifyArtifactSignature } from '@tinyfleet/protocol/artifact';
import { ArtifactFlag, OpKind } from '@tinyfleet/protocol/constants';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import { objectIdOf } from '@tinyfleet/protocol/mqtt';
import { type ModelRecord, newId, type Store } from '../store/index.js';
import type { KeyRing } from './keys.js';
import type { ObjectStore } from './objects.js';

export interface UploadOptions {
  /** Sign an unsigned artifact with the cloud's active key (else it is refused). */
  sign?: boolean | undefined;
  /** MCU cores the model is built for (compatibility gate); empty or absent: any. */
  cores?: readonly string[] | undefined;
}

export interface UploadResult {
  model: ModelRecord;
  /** False when the same file was already registered (uploads are idempotent). */
  created: boolean;
}

export interface RegistryDeps {
  store: Store;
  keys: KeyRing;
  objects: ObjectStore;
}

export function registerModel(
  deps: RegistryDeps,
  input: Uint8Array,
  opts: UploadOptions = {},
  nowMs = Date.now(),
): UploadResult {
  let bytes = input;
  const parsed = readArtifact(bytes); // PROTOCOL.md §5.10, digest included (§5.8)
  let keyId: string;
  if (parsed.signature === null) {
    // PROTOCOL.md §5.9: accepting an unsigned artifact is the caller's policy; ours is "never as is".
    if (!opts.sign) throw new ProtocolError('BAD_SIGNATURE', 'artifact is unsigned (upload with sign=1)');
    const signer = deps.keys.signer();
    bytes = signArtifact(bytes, signer.key);
    keyId = signer.keyId;
  } else {
    keyId = verifyArtifactSignature(bytes, deps.keys.trusted()).keyIdHex;
  }
  const objectId = objectIdOf(bytes);
  const existing = deps.store.models.byObjectId(objectId);
  if (existing) return { model: existing, created: false };
  deps.objects.put(bytes);
  const opKinds = [...new Set(parsed.ops.map((op) => OpKind[op.kind]))].sort((a, b) => a - b);
  const model = deps.store.models.insert(
    {
      id: newId('mdl', nowMs),
      name: parsed.name,
      version: parsed.modelVersion,
      sha256: Buffer.from(parsed.sha256).toString('hex'),
      objectId,
      size: bytes.length,
      keyId,
      abiVersion: parsed.abiVersion,
      arenaInferBytes: parsed.arenaInferBytes,
      arenaTrainBytes: parsed.arenaTrainBytes,
      ramBytes: parsed.ramBytes,
      training: (parsed.flags & ArtifactFlag.HAS_TRAINING) !== 0,
      opKinds,
      cores: [...(opts.cores ?? [])],
    },
    nowMs,
  );
  return { model, created: true };
}
