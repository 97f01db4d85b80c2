/**
 * The cloud's signing keys (PROTOCOL.md §5.9). Rotation makes a new key active; older keys stay `valid`
 * (they still verify what they signed) until retired. Private seeds are files `<dir>/<key id>.seed`,
 * mode 0600, in a 0700 directory; the database holds only public parts and status.
 */

import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf, privateKeyFromSeed, publicKeyFromRaw, rawPublicKey } from '@tinyfleet/protocol/artifact';
import type { SigningKey, Store } from '../store/index.js';
import { OtaError } from './errors.js';

export class KeyRing {
  readonly #store: Store;
  readonly #dir: string;

  constructor(store: Store, dir: string) {
    this.#store = store;
    this.#dir = dir;
  }

  /** The active key, made on first use. */
  ensureActive(nowMs = Date.now()): SigningKey {
    return this.#store.keys.active() ?? this.rotate(nowMs);
  }

  /** Make a new active key; the previous active key stays valid for verification. */
  rotate(nowMs = Date.now()): SigningKey {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const seed = randomBytes(32);
    const publicKey = rawPublicKey(privateKeyFromSeed(seed));
    const id = keyIdOf(publicKey);
    writeFileSync(this.#seedPath(id), `${seed.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return this.#store.transaction(() =>
      this.#store.keys.add({ id, publicKey, status: 'active', hasPrivate: true, name: 'cloud' }, nowMs),
    );
  }

  /** Trust an outside signer's public key (raw 32 bytes) for verification only. */
  importPublic(raw: Uint8Array, name: string, nowMs = Date.now()): SigningKey {
    let id: string;
    try {
      id = keyIdOf(publicKeyFromRaw(raw));
    } catch (e) {
      throw new OtaError('INVALID', 'not a raw 32-byte Ed25519 public key', { cause: e });
    }
    return this.#store.keys.add({ id, publicKey: raw, status: 'valid', hasPrivate: false, name }, nowMs);
  }

  /** Retire a key: it verifies nothing any more. The active key must be rotated away first. */
  retire(id: string, nowMs = Date.now()): SigningKey {
    const k = this.#store.keys.require(id);
    if (k.status === 'active') throw new OtaError('BAD_STATE', `key ${id} is active; rotate first`);
    return this.#store.keys.retire(id, nowMs);
  }

  /** Keys that verify: active and valid, by key id (§5.9: a key is trusted under its own id only). */
  trusted(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const k of this.#store.keys.list()) {
      if (k.status !== 'retired') out.set(k.id, new Uint8Array(Buffer.from(k.publicKey, 'hex')));
    }
    return out;
  }

  /** The active key's private key, for signing. */
  signer(): { keyId: string; key: KeyObject } {
    const k = this.#store.keys.active();
    if (!k?.hasPrivate) throw new OtaError('NO_SIGNING_KEY', 'the cloud has no active signing key');
    let seed: Buffer;
    try {
      seed = Buffer.from(readFileSync(this.#seedPath(k.id), 'utf8').trim(), 'hex');
    } catch (e) {
      throw new OtaError('NO_SIGNING_KEY', `private key of ${k.id} is missing`, { cause: e });
    }
    return { keyId: k.id, key: privateKeyFromSeed(seed) };
  }

  #seedPath(id: string): string {
    return join(this.#dir, `${id}.seed`);
  }
}
