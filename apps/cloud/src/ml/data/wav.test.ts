import { describe, expect, it } from 'vitest';
import { sine } from './test-fixtures.js';
import { DatasetError } from './types.js';
import { encodeWav, parseWav } from './wav.js';

/** A WAV with a hand-built fmt chunk, for the variants we must reject. */
function wavWith(
  fmt: { tag?: number; channels?: number; rate?: number; bits?: number },
  data = Buffer.alloc(8),
): Buffer {
  const channels = fmt.channels ?? 1;
  const bits = fmt.bits ?? 16;
  const f = Buffer.alloc(16);
  f.writeUInt16LE(fmt.tag ?? 1, 0);
  f.writeUInt16LE(channels, 2);
  f.writeUInt32LE(fmt.rate ?? 8000, 4);
  f.writeUInt32LE(((fmt.rate ?? 8000) * channels * bits) / 8, 8);
  f.writeUInt16LE((channels * bits) / 8, 12);
  f.writeUInt16LE(bits, 14);
  return riff([chunk('fmt ', f), chunk('data', data)]);
}

function chunk(id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length & 1)]);
}

function riff(chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function errorOf(f: () => unknown): DatasetError {
  try {
    f();
  } catch (e) {
    if (e instanceof DatasetError) return e;
    throw e;
  }
  throw new Error('expected a DatasetError');
}

describe('parseWav', () => {
  it('round-trips 16-bit PCM mono', () => {
    const x = sine(440, 100);
    const wav = parseWav(encodeWav(x, 8000), 'a.wav');
    expect(wav.sampleRate).toBe(8000);
    expect(wav.samples).toHaveLength(100);
    for (let i = 0; i < 100; i++) expect(wav.samples[i]).toBeCloseTo(x[i] as number, 4);
  });

  it('skips unknown and odd-sized chunks before data', () => {
    const pcm = Buffer.alloc(4);
    pcm.writeInt16LE(16384, 0);
    pcm.writeInt16LE(-32768, 2);
    const fmt = wavWith({}).subarray(12, 12 + 24);
    const wav = parseWav(riff([fmt, chunk('LIST', Buffer.from('abc')), chunk('data', pcm)]), 'b.wav');
    expect([...wav.samples]).toEqual([0.5, -1]);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', () => {
    const f = Buffer.alloc(40);
    wavWith({}).copy(f, 0, 20, 36);
    f.writeUInt16LE(0xfffe, 0);
    f.writeUInt16LE(22, 16);
    f.writeUInt16LE(1, 24);
    expect(parseWav(riff([chunk('fmt ', f), chunk('data', Buffer.alloc(6))]), 'e.wav').samples).toHaveLength(
      3,
    );
  });

  it.each([
    [{ channels: 2 }, /2 channels/],
    [{ bits: 8 }, /8 bits/],
    [{ bits: 24 }, /24 bits/],
    [{ tag: 3, bits: 32 }, /format tag 3/],
  ])('rejects %j as unsupported', (fmt, msg) => {
    const e = errorOf(() => parseWav(wavWith(fmt), 'x.wav'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(msg);
    expect(e.path).toBe('x.wav');
  });

  it('reports truncated, missing and foreign content as corrupt', () => {
    const full = encodeWav(sine(440, 100), 8000);
    expect(errorOf(() => parseWav(full.subarray(0, 100), 't.wav')).message).toMatch(/truncated data chunk/);
    expect(errorOf(() => parseWav(full.subarray(0, 30), 't.wav')).message).toMatch(/truncated fmt|no fmt/);
    expect(errorOf(() => parseWav(Buffer.from('hello world, not a wav'), 'n.wav')).message).toMatch(/RIFF/);
    expect(errorOf(() => parseWav(riff([wavWith({}).subarray(12, 36)]), 'd.wav')).message).toMatch(/no data/);
    expect(errorOf(() => parseWav(riff([chunk('data', Buffer.alloc(2))]), 'o.wav')).message).toMatch(
      /before fmt/,
    );
    expect(errorOf(() => parseWav(Buffer.alloc(0), 'z.wav')).code).toBe('corrupt');
  });
});
