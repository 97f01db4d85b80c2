/**
 * Helpers shared by the golden-vector generators (PROTOCOL.md §7).
 *
 * JSON convention for decoded values (§7.2): a byte string is `{"$hex": "..."}`; a tagged item is
 * `{"$tag": N, "value": ...}` (typed arrays are tagged byte strings, RFC 8746); maps with text keys
 * are JSON objects; arrays, text, booleans, null and numbers are plain JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of `protocol/vectors`. */
export const VECTORS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'vectors');

/** A file the generator wants written, relative to VECTORS_DIR. */
export interface VectorFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export function hex(bytes: Uint8Array): { $hex: string } {
  return { $hex: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') };
}

/** Stable, readable JSON text (2-space indent, trailing newline). */
export function jsonFile(path: string, value: unknown): VectorFile {
  return { path, bytes: new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`) };
}

export function binFile(path: string, bytes: Uint8Array): VectorFile {
  return { path, bytes };
}

export function writeVectorFiles(root: string, files: readonly VectorFile[]): void {
  for (const f of files) {
    const abs = join(root, f.path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.bytes);
  }
}
