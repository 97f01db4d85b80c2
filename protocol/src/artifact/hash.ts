/** Content digest of an artifact (PROTOCOL.md §5.8). */
import { createHash } from 'node:crypto';
import { H } from './layout.js';

export const SHA256_BYTES = 32;

/**
 * SHA-256 over the content bytes [0, contentBytes) except the 32-byte digest field itself:
 * bytes [0, 80) followed by bytes [112, contentBytes) (PROTOCOL.md §5.8).
 * The caller guarantees H.SHA256 + 32 <= contentBytes <= bytes.length.
 */
export function contentSha256(bytes: Uint8Array, contentBytes: number): Uint8Array {
  const h = createHash('sha256');
  h.update(bytes.subarray(0, H.SHA256));
  h.update(bytes.subarray(H.SHA256 + SHA256_BYTES, contentBytes));
  return new Uint8Array(h.digest());
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
