/**
 * IDX files (the MNIST container), optionally gzip-compressed.
 * Layout (big-endian): magic = 0x00 0x00 <type> <ndims>, then ndims uint32 dimensions, then the data.
 * We read type 0x08 (unsigned byte) only, which is what MNIST uses: 0x00000803 for images [n, rows, cols],
 * 0x00000801 for labels [n].
 */

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { readDataFile } from './files.js';
import { DatasetError } from './types.js';

const gunzipAsync = promisify(gunzip);

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const TYPE_UBYTE = 0x08;

/** Parses an uncompressed IDX buffer, expecting `ndims` dimensions of unsigned bytes. */
export function parseIdx(buf: Uint8Array, ndims: number, path: string): IdxArray {
  const magic = (0x0800 | ndims) >>> 0;
  if (buf.length < 4) throw new DatasetError(`IDX file too short for a header (${buf.length} bytes)`, path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const got = view.getUint32(0, false);
  if (got !== magic) {
    const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
    const hint = buf[2] !== TYPE_UBYTE ? ' (only unsigned-byte IDX data is supported)' : '';
    throw new DatasetError(`bad IDX magic ${hex(got)}, expected ${hex(magic)}${hint}`, path);
  }
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) throw new DatasetError(`IDX header truncated (${buf.length} bytes)`, path);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    dims.push(n);
    count *= n;
  }
  const have = buf.length - headerLen;
  if (have < count) {
    throw new DatasetError(
      `IDX data truncated: ${have} of ${count} bytes for dims [${dims.join(', ')}]`,
      path,
    );
  }
  if (have > count) {
    throw new DatasetError(
      `IDX file has ${have - count} trailing bytes after dims [${dims.join(', ')}]`,
      path,
    );
  }
  return { dims, data: buf.subarray(headerLen) };
}

/** Reads an IDX file, gunzipping it when it starts with the gzip magic (0x1f 0x8b). */
export async function readIdx(path: string, ndims: number): Promise<IdxArray> {
  const file = await readDataFile(path, 'IDX file');
  let raw: Uint8Array = file;
  if (file[0] === 0x1f && file[1] === 0x8b) {
    try {
      raw = await gunzipAsync(file);
    } catch (cause) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new DatasetError(`corrupt gzip stream: ${msg}`, path, { cause });
    }
  }
  return parseIdx(raw, ndims, path);
}
