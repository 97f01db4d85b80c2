import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, deviceMessageId, encodeMessage, type GradUpdate } from '@tinyfleet/protocol/messages';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../ml/data/split.js';
import { fastGradUpdate } from './grad-fast.js';

const VECTORS = new URL('../../../../../protocol/vectors/cbor/', import.meta.url).pathname;

function grad(i: number, o: Partial<GradUpdate> = {}): GradUpdate {
  const k = 1 + (i % 5);
  return {
    type: 'GRAD_UPDATE',
    id: deviceMessageId(3, i),
    sessionId: 1 + i,
    step: 1 + i * 1000,
    layer: i % 3,
    kind: i % 2 ? 'GRADIENT' : 'DELTA',
    samplesSeen: i * 64,
    structures: 32,
    elements: 9,
    indices: Uint16Array.from({ length: k }, (_, j) => j * 6 + (i % 6)),
    values: Uint8Array.from({ length: k * 9 }, (_, j) => (i * 7 + j) & 0xff),
    scale: 0.0078125 * (1 + i),
    zeroPoint: (i * 13) & 0xff,
    ...o,
  };
}

/** The fast path either declines or agrees with the full decoder, which then must accept the bytes. */
function agrees(bytes: Uint8Array): 'fast' | 'declined' {
  const fast = fastGradUpdate(bytes);
  if (fast === undefined) return 'declined';
  expect(fast).toEqual(decodeMessage(bytes));
  return 'fast';
}

describe('fastGradUpdate', () => {
  it('decodes what TinyFleet encodes exactly as decodeMessage does (with and without ts, re, eps)', () => {
    const msgs = [
      grad(0),
      grad(1, { ts: 1_700_000_000_123 }),
      grad(2, { re: deviceMessageId(9, 9), eps: 0.25 }),
      grad(3, { eps: 0, ts: 0 }),
      grad(4, { id: new Uint8Array(16).fill(7), eps: 1 }),
      grad(5, { sessionId: 0xffff_ffff, step: 0xffff_ffff, samplesSeen: 0xffff_ffff, layer: 0xffff }),
    ];
    for (const m of msgs) {
      const bytes = encodeMessage(m);
      expect(agrees(bytes)).toBe('fast');
      expect(fastGradUpdate(bytes)).toEqual(m);
    }
  });

  it('never accepts a golden vector the full decoder rejects, and agrees on the valid ones', () => {
    const files = [
      ...readdirSync(VECTORS).map((f) => join(VECTORS, f)),
      ...readdirSync(join(VECTORS, 'invalid')).map((f) => join(VECTORS, 'invalid', f)),
    ].filter((f) => f.endsWith('.cbor'));
    expect(files.length).toBeGreaterThan(50);
    const verdicts = files.map((f) => agrees(new Uint8Array(readFileSync(f))));
    expect(verdicts.filter((v) => v === 'fast')).toHaveLength(2); // grad-update, grad-update-gradient
  });

  it('declines or agrees on 20,000 mutations of valid encodings (flips, cuts, insertions)', () => {
    const next = seededRandom(0x7f4a7c15);
    const base = [0, 1, 2, 3].map((i) => encodeMessage(grad(i, i % 2 ? { ts: 42, eps: 0.5 } : {})));
    let fast = 0;
    for (let n = 0; n < 20_000; n++) {
      const src = base[n % base.length] as Uint8Array;
      let b = Uint8Array.from(src);
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * b.length);
        const r = next();
        if (r < 0.6) b[at] = Math.floor(next() * 256);
        else if (r < 0.8) b = b.subarray(0, at);
        else b = Uint8Array.from([...b.subarray(0, at), Math.floor(next() * 256), ...b.subarray(at)]);
      }
      if (agrees(b) === 'fast') fast++;
    }
    expect(fast).toBeGreaterThan(1000); // value-only mutations (e.g. in q) stay on the fast path
  });

  it('declines forms it does not check itself: unknown keys, other float widths, wrong type', () => {
    const bytes = encodeMessage(grad(7));
    // Unknown key appended: map count + 1, then "zz": 1 (valid for decodeMessage, which ignores it).
    const withKey = Uint8Array.from([(bytes[0] as number) + 1, ...bytes.subarray(1), 0x62, 0x7a, 0x7a, 0x01]);
    expect(decodeMessage(withKey)).toMatchObject({ type: 'GRAD_UPDATE' });
    expect(fastGradUpdate(withKey)).toBeUndefined();
    const metrics = encodeMessage({
      type: 'TRAIN_METRICS',
      id: deviceMessageId(1, 1),
      sessionId: 1,
      step: 1,
      samplesSeen: 1,
      loss: 0.5,
      accuracy: 0.5,
      updateRate: 1,
      cycles: 1,
      memoryBytes: 1,
      durationUs: 1,
    });
    expect(fastGradUpdate(metrics)).toBeUndefined();
  });
});
