/**
 * RIFF/WAVE reader for 16-bit PCM mono, the format of FSDD (and of most microphone captures).
 * Layout (little-endian): "RIFF" <size> "WAVE", then chunks <id:4> <size:u32> <payload, padded to even size>.
 * We need "fmt " (format tag 1 = PCM, or 0xFFFE extensible with a PCM sub-format) and "data"; others are skipped.
 */
import { DatasetError } from './types.js';

export interface WavAudio {
  readonly sampleRate: number;
  /** Mono samples scaled to [-1, 1): int16 / 32768. */
  readonly samples: Float32Array;
}

interface WavFormat {
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly blockAlign: number;
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;

export function parseWav(buf: Uint8Array, path: string): WavAudio {
  if (buf.length < 12 || tag(buf, 0) !== 'RIFF' || tag(buf, 8) !== 'WAVE') {
    throw new DatasetError('not a RIFF/WAVE file', path);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let fmt: WavFormat | undefined;
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = tag(buf, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > buf.length) throw new DatasetError('truncated fmt chunk', path);
      fmt = readFormat(view, body, size, path);
    } else if (id === 'data') {
      if (!fmt) throw new DatasetError('data chunk before fmt chunk', path);
      checkSupported(fmt, path);
      const available = buf.length - body;
      if (size > available) {
        throw new DatasetError(`truncated data chunk: ${available} of ${size} bytes`, path);
      }
      return { sampleRate: fmt.sampleRate, samples: pcm16(view, body, size) };
    }
    pos = body + size + (size & 1);
  }
  throw new DatasetError(fmt ? 'no data chunk' : 'no fmt chunk', path);
}

function readFormat(view: DataView, at: number, size: number, path: string): WavFormat {
  let formatTag = view.getUint16(at, true);
  if (formatTag === FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then the sub-format GUID whose first 2 bytes
    // are the plain format tag.
    if (size < 40) throw new DatasetError('truncated WAVE_FORMAT_EXTENSIBLE fmt chunk', path);
    formatTag = view.getUint16(at + 24, true);
  }
  return {
    formatTag,
    channels: view.getUint16(at + 2, true),
    sampleRate: view.getUint32(at + 4, true),
    blockAlign: view.getUint16(at + 12, true),
    bitsPerSample: view.getUint16(at + 14, true),
  };
}

function checkSupported(fmt: WavFormat, path: string): void {
  const unsupported = (what: string): DatasetError =>
    new DatasetError(`unsupported WAV: ${what}; only 16-bit PCM mono is read`, path, { code: 'unsupported' });
  if (fmt.formatTag !== FORMAT_PCM) throw unsupported(`format tag ${fmt.formatTag} (not PCM)`);
  if (fmt.channels !== 1) throw unsupported(`${fmt.channels} channels`);
  if (fmt.bitsPerSample !== 16) throw unsupported(`${fmt.bitsPerSample} bits per sample`);
  if (fmt.blockAlign !== 2) throw unsupported(`block align ${fmt.blockAlign}`);
  if (fmt.sampleRate === 0) throw new DatasetError('sample rate 0', path);
}

function pcm16(view: DataView, at: number, size: number): Float32Array {
  const n = size >>> 1; // an odd trailing byte is padding, not a sample
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(at + 2 * i, true) / 32768;
  return out;
}

function tag(buf: Uint8Array, at: number): string {
  return String.fromCharCode(buf[at] ?? 0, buf[at + 1] ?? 0, buf[at + 2] ?? 0, buf[at + 3] ?? 0);
}

/** Encodes mono 16-bit PCM (for tests and tools); `samples` in [-1, 1] are clipped. */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number): Buffer {
  const dataBytes = samples.length * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(FORMAT_PCM, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i] as number));
    buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), 44 + 2 * i);
  }
  return buf;
}
