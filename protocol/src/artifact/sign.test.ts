import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { P } from '../constants/index.js';
import { exampleArtifactModel } from './example.js';
import { readArtifact } from './reader.js';
import {
  keyIdOf,
  privateKeyFromSeed,
  rawPublicKey,
  signArtifact,
  signedMessage,
  verifyArtifactSignature,
} from './sign.js';
import { expectCode, protocolError, reseal } from './test-helpers.js';
import { writeArtifact } from './writer.js';

const seed = new Uint8Array(32).map((_, i) => i + 1);
const key = privateKeyFromSeed(seed);
const pub = rawPublicKey(key);
const id = keyIdOf(pub);
const unsigned = writeArtifact(exampleArtifactModel());
const signed = signArtifact(unsigned, seed);
const keys = new Map([[id, pub]]);

describe('artifact signature envelope (PROTOCOL.md §5.9)', () => {
  it('appends an 80-byte envelope after unchanged content', () => {
    expect(signed.length).toBe(unsigned.length + P.ARTIFACT_SIG_BYTES);
    expect(signed.subarray(0, unsigned.length)).toEqual(unsigned);
    expect(Buffer.from(signed.subarray(unsigned.length, unsigned.length + 4)).toString('ascii')).toBe('TFSG');
    const p = readArtifact(signed);
    expect(p.signature?.keyIdHex).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(signedMessage(p.sha256).length).toBe(21 + 32);
  });

  it('is deterministic and re-signing replaces the envelope', () => {
    expect(signArtifact(unsigned, key)).toEqual(signed);
    expect(signArtifact(signed, key)).toEqual(signed);
  });

  it('accepts the right key, given raw or as a KeyObject', () => {
    expect(verifyArtifactSignature(signed, keys)).toEqual({ keyIdHex: id });
    expect(verifyArtifactSignature(signed, new Map([[id, key]]))).toEqual({ keyIdHex: id });
  });

  it('rejects an unknown key id and a wrong key under the right id', () => {
    const other = generateKeyPairSync('ed25519');
    expectCode(
      () => verifyArtifactSignature(signed, new Map([[keyIdOf(other.publicKey), other.publicKey]])),
      'BAD_SIGNATURE',
    );
    expectCode(() => verifyArtifactSignature(signed, new Map([[id, other.publicKey]])), 'BAD_SIGNATURE');
    expectCode(
      () => verifyArtifactSignature(signArtifact(unsigned, other.privateKey), keys),
      'BAD_SIGNATURE',
    );
  });

  it('reports unsigned artifacts, with no envelope or a zero key id', () => {
    expect(readArtifact(unsigned).signature).toBeNull();
    const zero = new Uint8Array(signed.length);
    zero.set(signed.subarray(0, unsigned.length + 8));
    expect(readArtifact(zero).signature).toBeNull();
    expectCode(() => verifyArtifactSignature(unsigned, keys), 'BAD_SIGNATURE');
    expectCode(() => verifyArtifactSignature(zero, keys), 'BAD_SIGNATURE');
  });

  it('rejects every single-byte change of a signed artifact', () => {
    for (let i = 0; i < signed.length; i++) {
      const b = signed.slice();
      b[i]! ^= 0x01;
      const e = protocolError(() => verifyArtifactSignature(b, keys));
      expect([
        'SHA_MISMATCH',
        'BAD_SIGNATURE',
        'MALFORMED',
        'BAD_FIELD',
        'UNSUPPORTED_VERSION',
        'TRUNCATED',
      ]).toContain(e.code);
    }
  });

  it('rejects content changed and resealed by someone without the key', () => {
    const b = signed.slice();
    b[b.length - 81 - 7]! ^= 0x01; // a data byte of the last block
    expectCode(() => verifyArtifactSignature(reseal(b), keys), 'BAD_SIGNATURE');
  });
});
