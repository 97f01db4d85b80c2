/** Helpers for the tests in this folder: temp dirs and tiny generated data files. Not part of the API. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { defaultDatasetsDir } from './paths.js';

/** A fresh temp dir and a function writing files into it (creating parent folders). */
export function tempDir(): {
  dir: string;
  write: (rel: string, data: string | Uint8Array) => string;
  done: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'tinyfleet-data-'));
  return {
    dir,
    write(rel, data) {
      const path = join(dir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
      return path;
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An IDX file of unsigned bytes: magic 0x0000080<n>, big-endian dims, data. */
export function idxBytes(dims: readonly number[], data: ArrayLike<number>, magic?: number): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic ?? 0x800 + dims.length, 0);
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([head, Buffer.from(Array.from(data))]);
}

export const gz = (b: Uint8Array): Buffer => gzipSync(b);

/** `n` samples of a sine at `hz`, amplitude `amp`. */
export function sine(hz: number, n: number, rate = 8000, amp = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** A PNG written with pngjs from a per-pixel RGBA function. */
export function pngBytes(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
  colorType: 0 | 2 | 4 | 6 = 6,
): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set(pixel(x, y), 4 * (y * width + x));
  }
  return PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true });
}

/** The real data sets folder, or undefined (with a note on stderr) when `sub` is absent. */
export function realDataDir(sub: string): string | undefined {
  const dir = join(defaultDatasetsDir(), sub);
  if (existsSync(dir)) return dir;
  console.warn(`skipping real-data tests: ${dir} is absent (set TINYFLEET_DATASETS to the data sets folder)`);
  return undefined;
}
