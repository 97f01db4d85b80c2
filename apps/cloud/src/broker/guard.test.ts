import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardPacketSize, PacketScanner } from './guard.js';

/** A PUBLISH-like packet: type byte, Remaining Length, body. */
function packet(bodyLength: number): Buffer {
  const len: number[] = [];
  let x = bodyLength;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    len.push(b);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x32, ...len]), Buffer.alloc(bodyLength, 7)]);
}

describe('PacketScanner', () => {
  it('accepts packets up to the limit, split anywhere', () => {
    const bytes = Buffer.concat([packet(0), packet(127), packet(128), packet(1000), packet(16384)]);
    for (const step of [1, 2, 3, 100, bytes.length]) {
      const s = new PacketScanner(16384);
      for (let i = 0; i < bytes.length; i += step)
        expect(s.scan(bytes.subarray(i, i + step))).toBeUndefined();
    }
  });

  it('refuses a packet announcing more than the limit, from its header alone', () => {
    const s = new PacketScanner(1000);
    expect(s.scan(packet(10))).toBeUndefined();
    expect(s.scan(packet(1001).subarray(0, 3))?.message).toMatch(/more than 1000/);
  });

  it('refuses a Remaining Length longer than four bytes', () => {
    const s = new PacketScanner(Number.MAX_SAFE_INTEGER);
    expect(s.scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))?.message).toMatch(/malformed/);
  });
});

describe('guardPacketSize', () => {
  it('passes bytes through both ways and destroys the connection on an oversized packet', async () => {
    const inner = new PassThrough();
    const outer = guardPacketSize(inner, 100);
    const got: Buffer[] = [];
    outer.on('data', (c: Buffer) => got.push(c));
    const failed = new Promise<Error>((resolve) => outer.on('error', resolve));
    inner.write(packet(50));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(got)).toEqual(packet(50));
    inner.write(packet(101));
    expect((await failed).message).toMatch(/more than 100/);
    expect(inner.destroyed).toBe(true);
  });
});
