/** Durable file writes for the OTA state on disk: write a temporary file, fsync it, rename it over. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `bytes` to `path` so that a crash leaves either the old or the new content, never a mix. */
export function atomicWrite(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    writeSync(fd, buf, 0, buf.length, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/** Makes a rename or a new file in `dir` durable (a no-op where directories cannot be opened). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the data itself is already durable.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `atomicWrite` off the event loop (the writes and fsyncs run on libuv's thread pool), so one device's
 * durable state does not stall the links of the others. Callers serialize writes to one path.
 */
export async function atomicWriteAsync(path: string, bytes: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const f = await open(tmp, 'w', 0o600);
  try {
    await f.writeFile(bytes, 'utf8');
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
  let d: Awaited<ReturnType<typeof open>> | undefined;
  try {
    d = await open(dirname(path), 'r');
    await d.sync();
  } catch {
    // Some platforms cannot fsync a directory; the data itself is already durable.
  } finally {
    await d?.close();
  }
}
