/** Frame check sequence (PROTOCOL.md §1.2, §3.3): CRC-32 as computed by zlib, reflected, IEEE polynomial. */
import { crc32 as zlibCrc32 } from 'node:zlib';

export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}
