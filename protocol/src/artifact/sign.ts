/** Ed25519 signature envelope of a model artifact (PROTOCOL.md §5.9). */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { FieldWriter } from './bytes.js';
import { toHex } from './hash.js';
import { SIG, SIGN_DOMAIN } from './layout.js';
import { type ReadArtifactOptions, readArtifact } from './reader.js';

/** A raw 32-byte Ed25519 public key or a node:crypto KeyObject. */
export type PublicKeyInput = KeyObject | Uint8Array;
/** A raw 32-byte Ed25519 seed (private key) or a node:crypto KeyObject. */
export type PrivateKeyInput = KeyObject | Uint8Array;

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function keyError(what: string, cause?: unknown): ProtocolError {
  return new ProtocolError('BAD_FIELD', `${what} is not an Ed25519 key`, { cause });
}

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw keyError('seed');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw keyError('public key');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

function asPublic(key: PublicKeyInput): KeyObject {
  return key instanceof Uint8Array ? publicKeyFromRaw(key) : key;
}

/** The raw 32 bytes of an Ed25519 public key. */
export function rawPublicKey(key: PublicKeyInput): Uint8Array {
  const k = key instanceof Uint8Array ? publicKeyFromRaw(key) : key;
  const pub = k.type === 'private' ? createPublicKey(k) : k;
  if (pub.asymmetricKeyType !== 'ed25519') throw keyError('key');
  const der = pub.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** Key id: the first 8 bytes of SHA-256 of the raw public key, as 16 lowercase hex digits (§5.9). */
export function keyIdOf(publicKey: PublicKeyInput): string {
  const digest = createHash('sha256').update(rawPublicKey(publicKey)).digest();
  return toHex(digest.subarray(0, SIG.KEY_ID_BYTES));
}

/** The signed message: ASCII "TinyFleet artifact v1" followed by the 32-byte content sha256 (§5.9). */
export function signedMessage(sha256: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from(SIGN_DOMAIN, 'ascii'), sha256]));
}

/** Validates the artifact, then returns its content followed by a fresh signature envelope. */
export function signArtifact(bytes: Uint8Array, privateKey: PrivateKeyInput): Uint8Array {
  const parsed = readArtifact(bytes);
  const key = privateKey instanceof Uint8Array ? privateKeyFromSeed(privateKey) : privateKey;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw keyError('private key');
  const out = new Uint8Array(parsed.contentBytes + P.ARTIFACT_SIG_BYTES);
  out.set(bytes.subarray(0, parsed.contentBytes));
  const w = new FieldWriter(out);
  const env = parsed.contentBytes;
  w.u32(env + SIG.MAGIC, P.ARTIFACT_SIG_MAGIC, 'signature magic');
  w.raw(env + SIG.KEY_ID, Buffer.from(keyIdOf(createPublicKey(key)), 'hex'));
  w.raw(env + SIG.SIGNATURE, sign(null, signedMessage(parsed.sha256), key));
  return out;
}

/**
 * Reads the artifact (all §5.10 checks, including the digest) and verifies its signature with the key
 * named by its key id. Throws BAD_SIGNATURE if unsigned, the key id is unknown, or verification fails.
 * Returns the key id that verified.
 */
export function verifyArtifactSignature(
  bytes: Uint8Array,
  keys: ReadonlyMap<string, PublicKeyInput>,
  opts?: ReadArtifactOptions,
): { keyIdHex: string } {
  const parsed = readArtifact(bytes, opts);
  const sig = parsed.signature;
  if (!sig) throw new ProtocolError('BAD_SIGNATURE', 'artifact is unsigned');
  const key = keys.get(sig.keyIdHex);
  if (key === undefined) throw new ProtocolError('BAD_SIGNATURE', `unknown key id ${sig.keyIdHex}`);
  let ok = false;
  try {
    const pub = asPublic(key);
    ok = keyIdOf(pub) === sig.keyIdHex && verify(null, signedMessage(parsed.sha256), pub, sig.signature);
  } catch (e) {
    throw new ProtocolError('BAD_SIGNATURE', `signature check failed for key id ${sig.keyIdHex}`, {
      cause: e,
    });
  }
  if (!ok) throw new ProtocolError('BAD_SIGNATURE', `signature does not verify with key id ${sig.keyIdHex}`);
  return { keyIdHex: sig.keyIdHex };
}
