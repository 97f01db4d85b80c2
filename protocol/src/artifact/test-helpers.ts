/** Helpers shared by the artifact tests (not exported by the package). */
import { expect } from 'vitest';
import type { ErrorCodeName } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { contentSha256 } from './hash.js';
import { H } from './layout.js';

/** Recomputes the content digest in place, as a writer would, when the header allows it (§5.8). */
export function reseal(bytes: Uint8Array): Uint8Array {
  if (bytes.length < H.SECTIONS) return bytes;
  const content = new DataView(bytes.buffer, bytes.byteOffset).getUint32(H.CONTENT_BYTES, true);
  if (content < H.SECTIONS || content > bytes.length) return bytes;
  bytes.set(contentSha256(bytes, content), H.SHA256);
  return bytes;
}

/** A copy of `bytes` changed by `edit` (a DataView over the copy), then resealed. */
export function edited(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer));
  return reseal(copy);
}

/** Runs fn and returns the ProtocolError it throws; fails on success or any other error. */
export function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw new Error(`expected a ProtocolError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a ProtocolError, but the call succeeded');
}

export function expectCode(fn: () => unknown, code: ErrorCodeName): void {
  const e = protocolError(fn);
  expect(e.code, e.message).toBe(code);
}
