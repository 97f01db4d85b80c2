/**
 * The site cache (PROTOCOL.md §2.7 step 1 and 7): verified objects by content address in
 * `<data>/cache/<object id>`, and partial transfers in `<data>/cache/partial/` as an object-sized data
 * file plus a bitmap file. A block is made durable before its bit is saved (§2.7 step 5), and the bitmap
 * is replaced atomically, so a crash costs at most one block, never a hole.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isObjectId } from '@tinyfleet/protocol/mqtt';
import { GatewayError } from '../errors.js';
import { atomicWrite } from './fsutil.js';

/** A partial transfer found on disk: the bitmap as saved and the data file's bytes. */
export interface PartialObject {
  readonly bitmap: Uint8Array;
  readonly data: Uint8Array;
}

export class ObjectCache {
  readonly dir: string;
  readonly #partial: string;
  readonly #fds = new Map<string, number>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'cache');
    this.#partial = join(this.dir, 'partial');
    mkdirSync(this.#partial, { recursive: true, mode: 0o700 });
  }

  #path(oid: string): string {
    // Validate at the boundary: an object id is also a file name here.
    if (!isObjectId(oid)) throw new GatewayError('BAD_ARGS', `not an object id: ${oid}`);
    return join(this.dir, oid);
  }

  has(oid: string): boolean {
    return existsSync(this.#path(oid));
  }

  /** A complete object (its id was checked when it entered the cache), or undefined. */
  read(oid: string): Uint8Array | undefined {
    const p = this.#path(oid);
    return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
  }

  /** The saved progress of a transfer of `size` bytes, or undefined (none, or not of that size). */
  openPartial(oid: string, size: number): PartialObject | undefined {
    this.#path(oid);
    const data = join(this.#partial, `${oid}.data`);
    const bitmap = join(this.#partial, `${oid}.bitmap`);
    if (!existsSync(data) || !existsSync(bitmap) || statSync(data).size !== size) return undefined;
    return { bitmap: new Uint8Array(readFileSync(bitmap)), data: new Uint8Array(readFileSync(data)) };
  }

  /** Creates (or truncates) the object-sized data file and an all-zero bitmap (§2.7 step 1). */
  createPartial(oid: string, size: number, emptyBitmap: Uint8Array): void {
    this.closePartial(oid);
    const fd = openSync(join(this.#partial, `${this.#checked(oid)}.data`), 'w', 0o600);
    try {
      ftruncateSync(fd, size);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.saveBitmap(oid, emptyBitmap);
  }

  /** Writes one block and makes it durable (§2.7 step 5: before its bit is set). */
  writeBlock(oid: string, offset: number, data: Uint8Array): void {
    let fd = this.#fds.get(oid);
    if (fd === undefined) {
      fd = openSync(join(this.#partial, `${this.#checked(oid)}.data`), 'r+');
      this.#fds.set(oid, fd);
    }
    writeSync(fd, data, 0, data.length, offset);
    fsyncSync(fd);
  }

  saveBitmap(oid: string, bitmap: Uint8Array): void {
    atomicWrite(join(this.#partial, `${this.#checked(oid)}.bitmap`), bitmap);
  }

  /** The object is complete and its id checked: it enters the cache and the partial state goes (§2.7 step 7). */
  commit(oid: string, object: Uint8Array): void {
    atomicWrite(this.#path(oid), object);
    this.discardPartial(oid);
  }

  closePartial(oid: string): void {
    const fd = this.#fds.get(oid);
    if (fd !== undefined) closeSync(fd);
    this.#fds.delete(oid);
  }

  discardPartial(oid: string): void {
    this.closePartial(oid);
    for (const ext of ['data', 'bitmap'])
      rmSync(join(this.#partial, `${this.#checked(oid)}.${ext}`), { force: true });
  }

  /** Removes a cached object (e.g. one that failed its signature check). */
  evict(oid: string): void {
    rmSync(this.#path(oid), { force: true });
  }

  close(): void {
    for (const oid of [...this.#fds.keys()]) this.closePartial(oid);
  }

  #checked(oid: string): string {
    this.#path(oid);
    return oid;
  }
}
