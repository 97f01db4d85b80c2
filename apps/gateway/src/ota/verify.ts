/**
 * The gateway's check of a fetched artifact before any byte of it goes to a device (PROTOCOL.md §2.7
 * step 7, §5.9, §5.10): the object id is the SHA-256 of the whole file, the reader's checks pass
 * (digest included), and the Ed25519 signature verifies with a trusted key under its own key id.
 * Unsigned artifacts are refused unless the configuration allows them (§5.9).
 */

import { readArtifact, verifyArtifactSignature } from '@tinyfleet/protocol/artifact';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import { objectIdOf } from '@tinyfleet/protocol/mqtt';
import type { OtaJob } from './args.js';

/** What OTA_OFFER needs (§4.6.2), taken from the verified artifact itself. */
export interface VerifiedArtifact {
  readonly bytes: Uint8Array;
  readonly oid: string;
  /** Content digest (§5.8): names the transfer on the serial hop. */
  readonly sha256: Uint8Array;
  readonly modelVersion: number;
  /** Key id of the envelope; all zero when unsigned (§4.6.2). */
  readonly keyId: Uint8Array;
  readonly name: string;
}

export interface VerifyOptions {
  readonly keys: ReadonlyMap<string, Uint8Array>;
  readonly allowUnsigned: boolean;
}

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Throws ProtocolError: SHA_MISMATCH, BAD_SIGNATURE, or the §5.10 code of a malformed artifact. */
export function verifyArtifact(bytes: Uint8Array, job: OtaJob, o: VerifyOptions): VerifiedArtifact {
  // §2.7 step 7: the object id is checked on completion; checked again for objects from the cache.
  const got = objectIdOf(bytes);
  if (got !== job.oid) throw new ProtocolError('SHA_MISMATCH', `object sha256 ${got} is not ${job.oid}`);
  const parsed = readArtifact(bytes); // §5.10 steps 1-5, digest included (SHA_MISMATCH)
  if (parsed.signature) {
    verifyArtifactSignature(bytes, o.keys); // §5.9: unknown key id or bad signature: BAD_SIGNATURE
  } else if (!o.allowUnsigned) {
    throw new ProtocolError('BAD_SIGNATURE', 'artifact is unsigned and unsigned artifacts are not allowed');
  }
  if (job.sha && !eq(job.sha, parsed.sha256))
    throw new ProtocolError('SHA_MISMATCH', 'artifact digest differs from the one the job names');
  return {
    bytes,
    oid: got,
    sha256: parsed.sha256,
    modelVersion: parsed.modelVersion,
    keyId: parsed.signature?.keyId ?? new Uint8Array(8),
    name: parsed.name,
  };
}
