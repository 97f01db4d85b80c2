/**
 * Trusted public keys for artifact signatures (PROTOCOL.md §5.9): from a JSON file, from the cloud's
 * public `GET /v1/keys`, or injected. Every key is checked to be an Ed25519 key whose key id is its own
 * (a key is trusted under its own key id only). Retired keys are not trusted.
 */
import { readFileSync } from 'node:fs';
import { keyIdOf, publicKeyFromRaw } from '@tinyfleet/protocol/artifact';
import { errorText, GatewayError } from '../errors.js';
import type { Logger } from '../log/index.js';

export type KeyMap = ReadonlyMap<string, Uint8Array>;

export interface TrustedKeysOptions {
  /** A JSON file: `{"items": [{"id", "publicKey"}]}` (the shape of `GET /v1/keys`) or `{"keys": [...]}`. */
  readonly file?: string;
  /** The cloud API base URL; `GET <url>/v1/keys` needs no token. */
  readonly cloudApiUrl?: string;
  /** Keys given directly (tests, or embedding): key id hex -> raw public key. */
  readonly fixed?: KeyMap;
  readonly fetch?: typeof fetch;
  readonly log: Logger;
}

/** Parses a key list; throws GatewayError BAD_CONFIG for a malformed entry or a wrong key id. */
export function parseKeyList(json: unknown, where: string): Map<string, Uint8Array> {
  const o = json as { items?: unknown; keys?: unknown } | null;
  const list = o && typeof o === 'object' ? (o.items ?? o.keys) : undefined;
  if (!Array.isArray(list)) throw new GatewayError('BAD_CONFIG', `${where}: "items" array of keys expected`);
  const out = new Map<string, Uint8Array>();
  list.forEach((k: unknown, i) => {
    const e = k as { id?: unknown; publicKey?: unknown; status?: unknown } | null;
    if (
      !e ||
      typeof e.id !== 'string' ||
      typeof e.publicKey !== 'string' ||
      !/^[0-9a-f]{64}$/.test(e.publicKey)
    )
      throw new GatewayError('BAD_CONFIG', `${where}[${i}]: id and a 64-hex-digit publicKey expected`);
    if (e.status === 'retired') return;
    const raw = new Uint8Array(Buffer.from(e.publicKey, 'hex'));
    let id: string;
    try {
      id = keyIdOf(publicKeyFromRaw(raw));
    } catch (err) {
      throw new GatewayError('BAD_CONFIG', `${where}[${i}]: ${errorText(err)}`, { cause: err });
    }
    // §5.9: a key is trusted under its own key id only.
    if (id !== e.id)
      throw new GatewayError('BAD_CONFIG', `${where}[${i}]: key id ${e.id} is not the key's (${id})`);
    out.set(id, raw);
  });
  return out;
}

export class TrustedKeys {
  readonly #o: TrustedKeysOptions;
  #keys: Map<string, Uint8Array> | undefined;

  constructor(o: TrustedKeysOptions) {
    this.#o = o;
  }

  /** The keys, loaded on first use. */
  async get(): Promise<KeyMap> {
    this.#keys ??= await this.#load();
    return this.#keys;
  }

  /** Loads again (after a key rotation the cloud may sign with a key we have not seen yet). */
  async refresh(): Promise<KeyMap> {
    this.#keys = await this.#load();
    return this.#keys;
  }

  async #load(): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>(this.#o.fixed ?? []);
    if (this.#o.file !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(this.#o.file, 'utf8'));
      } catch (e) {
        throw new GatewayError('BAD_CONFIG', `cannot read keys file ${this.#o.file}: ${errorText(e)}`, {
          cause: e,
        });
      }
      for (const [k, v] of parseKeyList(json, this.#o.file)) out.set(k, v);
    }
    if (this.#o.cloudApiUrl !== undefined) {
      const url = `${this.#o.cloudApiUrl.replace(/\/+$/, '')}/v1/keys`;
      try {
        const res = await (this.#o.fetch ?? fetch)(url);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        for (const [k, v] of parseKeyList(await res.json(), url)) out.set(k, v);
      } catch (e) {
        // Keep what the file gave; an artifact signed by an unknown key is then refused (BAD_SIGNATURE).
        this.#o.log.warn('cannot fetch trusted keys from the cloud', { url, error: errorText(e) });
      }
    }
    return out;
  }
}
