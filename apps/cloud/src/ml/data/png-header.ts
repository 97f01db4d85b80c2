/** Reads a PNG's signature and IHDR chunk (the first 33 bytes) without decoding the image. */
import { open } from 'node:fs/promises';
import { DatasetError } from './types.js';

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA (PNG spec §11.2.2). */
  readonly colorType: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function parsePngHeader(buf: Uint8Array, path: string): PngHeader {
  if (buf.length < 8 || SIGNATURE.some((b, i) => buf[i] !== b))
    throw new DatasetError('not a PNG file', path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // PNG spec §5.6: IHDR comes first: length (= 13), "IHDR", width, height, depth, colour type, ...
  if (
    buf.length < 33 ||
    view.getUint32(8) !== 13 ||
    String.fromCharCode(...buf.subarray(12, 16)) !== 'IHDR'
  ) {
    throw new DatasetError('PNG has no IHDR chunk', path);
  }
  const header = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: buf[24] as number,
    colorType: buf[25] as number,
  };
  if (header.width === 0 || header.height === 0 || ![0, 2, 3, 4, 6].includes(header.colorType)) {
    throw new DatasetError(`bad PNG header ${JSON.stringify(header)}`, path);
  }
  return header;
}

export async function readPngHeader(path: string): Promise<PngHeader> {
  let buf: Uint8Array;
  try {
    const fh = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(33), 0, 33, 0);
      buf = buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (cause) {
    throw new DatasetError('cannot read PNG file', path, { cause, code: 'not_found' });
  }
  return parsePngHeader(buf, path);
}

export function isGreyColorType(colorType: number): boolean {
  return colorType === 0 || colorType === 4;
}
