import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameFlag, FrameType } from '../constants/index.js';
import { type DeframeResult, Deframer } from './deframer.js';
import { encodeFrame } from './frame.js';

const data = (seq: number, payload: Uint8Array) =>
  encodeFrame({ type: FrameType.DATA, flags: FrameFlag.ACK_VALID, rwnd: 8, seq, ack: 1 }, payload);
const ok = (rs: DeframeResult[]) => rs.flatMap((r) => (r.ok ? [r.frame] : []));

describe('Deframer (PROTOCOL.md §3.7)', () => {
  it('decodes frames split across any chunk boundaries', () => {
    const frames = [
      data(1, Uint8Array.of(1, 2, 3)),
      data(2, new Uint8Array(300)),
      data(3, new Uint8Array(0)),
    ];
    const wire = Uint8Array.from(frames.flatMap((f) => [...f]));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: wire.length }), { maxLength: 8 }), (cuts) => {
        const d = new Deframer();
        const points = [0, ...cuts.sort((a, b) => a - b), wire.length];
        const got = points.slice(1).flatMap((end, i) => ok(d.push(wire.subarray(points[i]!, end))));
        expect(got.map((f) => f.header.seq)).toEqual([1, 2, 3]);
        expect(d.counters.dropped).toBe(0);
      }),
    );
  });

  it('drops noise up to the next delimiter and resynchronises (§3.7.1)', () => {
    const d = new Deframer();
    const rs = d.push(Uint8Array.from([0x13, 0x37, 0x99, 0x00, 0x00, ...data(5, Uint8Array.of(9)), 0x42]));
    expect(rs.filter((r) => !r.ok)).toHaveLength(1);
    expect(ok(rs).map((f) => f.header.seq)).toEqual([5]);
    expect(d.pendingBytes).toBe(1);
    expect(d.counters.discardedBytes).toBe(4);
  });

  it('drops over-long frames as TOO_LARGE without buffering them (§3.7.1)', () => {
    const d = new Deframer(64);
    const rs = d.push(Uint8Array.from([...new Uint8Array(500).fill(7), 0, ...data(1, Uint8Array.of(1))]));
    expect(rs[0]).toMatchObject({ ok: false, failure: { code: 'TOO_LARGE' } });
    expect(ok(rs)).toHaveLength(1);
    expect(d.counters.byCode.TOO_LARGE).toBe(1);
  });

  it('reports CRC failures as such and good-CRC violations with their type byte (§3.8.2)', () => {
    const d = new Deframer();
    const corrupt = data(1, new Uint8Array(100).fill(0x55)).slice();
    corrupt[40] = corrupt[40]! ^ 1; // inside the payload's run of non-zero bytes
    const wrongFlags = encodeFrame({ type: FrameType.HELLO, flags: FrameFlag.MORE }, new Uint8Array(16));
    const [a, b] = d.push(Uint8Array.from([...corrupt, ...wrongFlags]));
    expect(a).toMatchObject({ ok: false, failure: { code: 'CRC_MISMATCH', afterCrc: false } });
    expect(b).toMatchObject({
      ok: false,
      failure: { code: 'BAD_FIELD', afterCrc: true, rawType: FrameType.HELLO },
    });
  });

  it('never throws and never returns a frame that was not sent, on random streams', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 20 }), (chunks) => {
        const d = new Deframer(512);
        for (const c of chunks) {
          for (const r of d.push(c)) if (!r.ok) expect(typeof r.failure.code).toBe('string');
        }
        expect(d.pendingBytes).toBeLessThanOrEqual(600);
      }),
    );
  });
});
