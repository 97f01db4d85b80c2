/**
 * Ids and secrets. Ids sort by creation time (a base-36 millisecond stamp, then randomness), so listing by
 * id is listing by age, and they match the topic id pattern `[A-Za-z0-9_-]{1,64}` (PROTOCOL.md §2.6).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomChars(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % 36];
  return s;
}

let lastMs = 0;
let seq = 0;

/**
 * `prefix_` + 9 chars of time + 3 chars of sequence + 9 random chars, e.g. `gw_m3x1k2a9b000q0f4z7c1x`.
 * Within one process ids are strictly increasing, even when many are made in the same millisecond.
 */
export function newId(prefix: string, nowMs = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    seq = 0;
  } else {
    seq++;
    if (seq >= 36 ** 3) {
      lastMs++;
      seq = 0;
    }
  }
  return `${prefix}_${lastMs.toString(36).padStart(9, '0')}${seq.toString(36).padStart(3, '0')}${randomChars(9)}`;
}

/** A 256-bit random secret, base64url (43 chars). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 hex of a secret. The secrets we hash are all 256-bit random values we generated, so a fast hash
 * is enough (no dictionary to attack); nothing stores the plaintext.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret against a stored hash. */
export function verifySecret(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
