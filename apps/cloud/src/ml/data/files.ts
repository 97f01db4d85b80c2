import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { DatasetError } from './types.js';

/** Reads a whole file; a missing or unreadable file becomes a `not_found` DatasetError naming it. */
export async function readDataFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new DatasetError(`cannot read ${what}: ${reason(cause)}`, path, { cause, code: 'not_found' });
  }
}

/** Synchronous twin of `readDataFile`, for `DataSplit.get` (which is synchronous by contract). */
export function readDataFileSync(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new DatasetError(`cannot read ${what}: ${reason(cause)}`, path, { cause, code: 'not_found' });
  }
}

/** Lists a directory's entries by name, sorted; a missing directory is a `not_found` DatasetError. */
export async function listDir(path: string, what: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (cause) {
    throw new DatasetError(`cannot list ${what}: ${reason(cause)}`, path, { cause, code: 'not_found' });
  }
}

/** Lists the sub-directories of `path` (sorted). */
export function subDirs(path: string): string[] {
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function reason(cause: unknown): string {
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
