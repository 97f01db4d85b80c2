/**
 * Signing keys (PROTOCOL.md §5.9): public parts and status. One key is `active` (signs new uploads);
 * `valid` keys still verify; `retired` keys verify nothing. Private seeds live in the data directory.
 */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';

export const KEY_STATUSES = ['active', 'valid', 'retired'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export interface SigningKey {
  /** 16 lowercase hex digits (§5.9). */
  id: string;
  /** Raw 32-byte Ed25519 public key, hex. */
  publicKey: string;
  status: KeyStatus;
  /** The cloud holds the private seed (it can sign with this key). */
  hasPrivate: boolean;
  name: string;
  createdMs: number;
  retiredMs: number | null;
}

interface Row {
  id: string;
  public_key: Buffer;
  status: KeyStatus;
  has_private: number;
  name: string;
  created_ms: number;
  retired_ms: number | null;
}

const toKey = (r: Row): SigningKey => ({
  id: r.id,
  publicKey: r.public_key.toString('hex'),
  status: r.status,
  hasPrivate: r.has_private === 1,
  name: r.name,
  createdMs: r.created_ms,
  retiredMs: r.retired_ms,
});

export class KeyRepo {
  readonly #insert;
  readonly #get;
  readonly #all;
  readonly #active;
  readonly #demote;
  readonly #retire;

  constructor(db: Db) {
    this.#insert = db.prepare<[string, Buffer, KeyStatus, number, string, number]>(
      `INSERT INTO signing_keys (id, public_key, status, has_private, name, created_ms)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM signing_keys WHERE id = ?');
    this.#all = db.prepare<[], Row>('SELECT * FROM signing_keys ORDER BY created_ms, id');
    this.#active = db.prepare<[], Row>("SELECT * FROM signing_keys WHERE status = 'active'");
    this.#demote = db.prepare("UPDATE signing_keys SET status = 'valid' WHERE status = 'active'");
    this.#retire = db.prepare<[number, string]>(
      "UPDATE signing_keys SET status = 'retired', retired_ms = ? WHERE id = ?",
    );
  }

  /** Add a key. `active` demotes the previous active key to `valid` (rotation). Call inside a transaction. */
  add(
    k: { id: string; publicKey: Uint8Array; status: 'active' | 'valid'; hasPrivate: boolean; name?: string },
    nowMs = Date.now(),
  ): SigningKey {
    const existing = this.get(k.id);
    if (existing) throw new StoreError('CONFLICT', `key ${k.id} already exists (${existing.status})`);
    if (k.status === 'active') this.#demote.run();
    this.#insert.run(k.id, Buffer.from(k.publicKey), k.status, k.hasPrivate ? 1 : 0, k.name ?? '', nowMs);
    return this.require(k.id);
  }

  get(id: string): SigningKey | undefined {
    const r = this.#get.get(id);
    return r && toKey(r);
  }

  require(id: string): SigningKey {
    const k = this.get(id);
    if (!k) throw new StoreError('NOT_FOUND', `key ${id} not found`);
    return k;
  }

  list(): SigningKey[] {
    return this.#all.all().map(toKey);
  }

  active(): SigningKey | undefined {
    const r = this.#active.get();
    return r && toKey(r);
  }

  retire(id: string, nowMs = Date.now()): SigningKey {
    this.require(id);
    this.#retire.run(nowMs, id);
    return this.require(id);
  }
}
