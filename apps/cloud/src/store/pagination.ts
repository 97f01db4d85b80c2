/**
 * Keyset pagination. A cursor is opaque to clients: base64url of a JSON array holding the sort key of the
 * last item returned. Lists fetch `limit + 1` rows to know whether a next page exists.
 */
import { StoreError } from './errors.js';
import type { Page } from './types.js';

export type CursorKey = readonly (string | number)[];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decode a cursor whose key has the given shape; throws BAD_CURSOR for anything else. */
export function decodeCursor<const S extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: S,
): { [I in keyof S]: S[I] extends 'string' ? string : number } {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (e) {
    throw new StoreError('BAD_CURSOR', 'cursor is not valid', { cause: e });
  }
  const ok =
    Array.isArray(key) &&
    key.length === shape.length &&
    key.every((k, i) => typeof k === shape[i] && (typeof k !== 'number' || Number.isSafeInteger(k)));
  if (!ok) throw new StoreError('BAD_CURSOR', 'cursor is not valid');
  return key as { [I in keyof S]: S[I] extends 'string' ? string : number };
}

/** Turn `limit + 1` fetched rows into a page, the cursor built from the last kept row. */
export function toPage<R, T>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => CursorKey): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: more && last !== undefined ? encodeCursor(key(last)) : null };
}

/** Parse a JSON column written by this store; a bad value means a corrupt row. */
export function parseJsonColumn<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new StoreError('CORRUPT_ROW', `${what} is not valid JSON`, { cause: e });
  }
}
