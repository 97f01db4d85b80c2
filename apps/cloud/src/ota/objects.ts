/**
 * Content-addressed artifact files: `<dir>/<first 2 hex>/<object id>`, the object id being the SHA-256 of
 * the whole file (PROTOCOL.md §2.7). Written to a temporary file, synced, then renamed, so a file under
 * its final name is always complete. Reads keep the last few objects in memory for block serving.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isObjectId, objectIdOf } from '@tinyfleet/protocol/mqtt';

const CACHE_OBJECTS = 8;

export class ObjectStore {
  readonly #dir: string;
  readonly #cache = new Map<string, Uint8Array>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  path(objectId: string): string {
    return join(this.#dir, objectId.slice(0, 2), objectId);
  }

  has(objectId: string): boolean {
    return isObjectId(objectId) && existsSync(this.path(objectId));
  }

  /** Store `bytes`; returns its object id. Storing the same bytes twice is a no-op. */
  put(bytes: Uint8Array): string {
    const id = objectIdOf(bytes);
    if (this.has(id)) return id;
    const final = this.path(id);
    mkdirSync(join(this.#dir, id.slice(0, 2)), { recursive: true });
    const tmp = `${final}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    return id;
  }

  /** The object's bytes, or undefined when it is not stored. */
  read(objectId: string): Uint8Array | undefined {
    const hit = this.#cache.get(objectId);
    if (hit) {
      this.#cache.delete(objectId);
      this.#cache.set(objectId, hit);
      return hit;
    }
    if (!this.has(objectId)) return undefined;
    const bytes = new Uint8Array(readFileSync(this.path(objectId)));
    this.#cache.set(objectId, bytes);
    if (this.#cache.size > CACHE_OBJECTS) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return bytes;
  }
}
