/** API bearer tokens, stored as sha256 hashes. The plaintext is returned once, on creation. */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { hashSecret, newId, newSecret } from '../ids.js';
import { decodeCursor, toPage } from '../pagination.js';
import type { ApiToken, Page, PageRequest, TokenScope } from '../types.js';

interface Row {
  id: string;
  name: string;
  scope: TokenScope;
  token_hash: string;
  created_ms: number;
  last_used_ms: number | null;
  revoked_ms: number | null;
}

const toToken = (r: Row): ApiToken => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  createdMs: r.created_ms,
  lastUsedMs: r.last_used_ms,
  revokedMs: r.revoked_ms,
});

/** Token text: `tft_` + 43 base64url chars (256 random bits). */
export const TOKEN_PREFIX = 'tft_';

export class TokenRepo {
  readonly #insert;
  readonly #byHash;
  readonly #get;
  readonly #list;
  readonly #revoke;
  readonly #used;
  readonly #count;

  constructor(db: Db) {
    this.#insert = db.prepare<[string, string, TokenScope, string, number]>(
      'INSERT INTO api_tokens (id, name, scope, token_hash, created_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.#byHash = db.prepare<[string], Row>(
      'SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_ms IS NULL',
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE id = ?');
    this.#list = db.prepare<[string, number], Row>(
      'SELECT * FROM api_tokens WHERE id > ? ORDER BY id LIMIT ?',
    );
    this.#revoke = db.prepare<[number, string]>(
      'UPDATE api_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL',
    );
    // At most one write a minute per token, so reads do not each cost a synchronous commit.
    this.#used = db.prepare<{ now: number; id: string }>(
      'UPDATE api_tokens SET last_used_ms = @now WHERE id = @id AND coalesce(last_used_ms, 0) < @now - 60000',
    );
    this.#count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM api_tokens');
  }

  create(
    input: { name: string; scope: TokenScope },
    nowMs = Date.now(),
  ): { token: ApiToken; secret: string } {
    const id = newId('tok', nowMs);
    const secret = TOKEN_PREFIX + newSecret();
    this.#insert.run(id, input.name, input.scope, hashSecret(secret), nowMs);
    const row = this.#get.get(id);
    if (!row) throw new StoreError('NOT_FOUND', `token ${id} vanished`);
    return { token: toToken(row), secret };
  }

  /** The live token whose plaintext is `secret`, or undefined. Lookup is by hash (a unique index). */
  verify(secret: string, nowMs = Date.now()): ApiToken | undefined {
    if (!secret.startsWith(TOKEN_PREFIX)) return undefined;
    const row = this.#byHash.get(hashSecret(secret));
    if (!row) return undefined;
    this.#used.run({ now: nowMs, id: row.id });
    return toToken(row);
  }

  list(page: PageRequest): Page<ApiToken> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    return toPage(this.#list.all(after, page.limit + 1), page.limit, toToken, (r) => [r.id]);
  }

  revoke(id: string, nowMs = Date.now()): void {
    if (!this.#get.get(id)) throw new StoreError('NOT_FOUND', `token ${id} not found`);
    this.#revoke.run(nowMs, id);
  }

  count(): number {
    return this.#count.get()?.n ?? 0;
  }
}
