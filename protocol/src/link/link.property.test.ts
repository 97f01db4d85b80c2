/**
 * Property tests of the link layer (PROTOCOL.md §3): decoding never fails on junk, frames round-trip,
 * corruption is always detected, and the link delivers every message exactly once and in order over an
 * emulated UART with loss, duplication, reordering and byte errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameFlag, FrameType, P } from '../constants/index.js';
import { Deframer } from './deframer.js';
import { LinkEndpoint } from './endpoint.js';
import { encodeFrame, type FrameFields } from './frame.js';
import { encodeHello } from './payloads.js';
import { LinkSim } from './sim/index.js';

/** Any valid frame: header fields and a payload that fit its type (§3.2.2). */
const anyFrame: fc.Arbitrary<{ fields: FrameFields; payload: Uint8Array }> = fc.oneof(
  fc
    .record({
      more: fc.boolean(),
      rwnd: fc.integer({ min: 0, max: P.LINK_MAX_WINDOW }),
      seq: fc.integer({ min: 0, max: 0xffff }),
      ack: fc.integer({ min: 0, max: 0xffff }),
      payload: fc.uint8Array({ maxLength: 1100 }),
    })
    .map(({ more, payload, ...h }) => ({
      fields: { type: FrameType.DATA, flags: FrameFlag.ACK_VALID | (more ? FrameFlag.MORE : 0), ...h },
      payload,
    })),
  fc
    .record({ ack: fc.integer({ min: 0, max: 0xffff }), sack: fc.uint8Array({ minLength: 4, maxLength: 4 }) })
    .map(({ ack, sack }) => ({
      fields: { type: FrameType.ACK, flags: FrameFlag.ACK_VALID, ack },
      payload: sack,
    })),
  fc
    .record({ type: fc.constantFrom(FrameType.HELLO, FrameType.HELLO_ACK), epoch: fc.integer({ min: 1 }) })
    .map(({ type, epoch }) => ({
      fields: { type },
      payload: encodeHello({
        version: 1,
        window: 8,
        maxFramePayload: 256,
        maxMessageBytes: 4096,
        epoch,
        peerEpoch: 0,
      }),
    })),
  fc
    .uint8Array({ minLength: 2, maxLength: 80 })
    .map((payload) => ({ fields: { type: FrameType.ERROR }, payload })),
);

const decodeAll = (bytes: Uint8Array) => new Deframer().push(bytes).flatMap((r) => (r.ok ? [r.frame] : []));

describe('link properties: framing (PROTOCOL.md §3.1–§3.3, §3.7)', () => {
  it('random byte streams never throw, hang or leave the endpoint with a past deadline', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 }), (chunks) => {
        const ep = new LinkEndpoint({ nonce: () => 7 });
        let now = 0;
        for (const c of chunks) {
          ep.receiveBytes(c, now);
          ep.takeOutbox(now);
          now += 10;
          ep.poll(now);
          const d = ep.nextDeadlineMs();
          expect(d === undefined || d > now).toBe(true);
        }
        ep.takeEvents();
      }),
      { numRuns: 200 },
    );
  });

  it('every encoded frame round-trips through the deframer', () => {
    fc.assert(
      fc.property(anyFrame, ({ fields, payload }) => {
        const [f, ...rest] = decodeAll(encodeFrame(fields, payload));
        expect(rest).toHaveLength(0);
        expect(f?.header).toMatchObject({ ...fields, length: payload.length });
        expect(f?.payload).toEqual(payload);
      }),
      { numRuns: 300 },
    );
  });

  it('every corrupted frame is detected: byte changes anywhere, including the delimiter', () => {
    fc.assert(
      fc.property(
        anyFrame,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        ({ fields, payload }, edits) => {
          const wire = encodeFrame(fields, payload).slice();
          for (const [at, x] of edits) wire[at % wire.length] = wire[at % wire.length]! ^ x;
          // Flush with an extra delimiter in case the original one was changed.
          expect(decodeAll(Uint8Array.from([...wire, 0]))).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('every truncated frame is detected', () => {
    fc.assert(
      fc.property(anyFrame, fc.nat(), ({ fields, payload }, cut) => {
        const wire = encodeFrame(fields, payload);
        const keep = 1 + (cut % (wire.length - 2)); // drop at least one byte before the delimiter
        expect(decodeAll(Uint8Array.from([...wire.subarray(0, keep), 0]))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('link properties: delivery (PROTOCOL.md §3.4, §3.5)', () => {
  const faults = fc.record({
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    baud: fc.constantFrom(115200, 921600),
    byteErrorRate: fc.constantFrom(0, 1e-4, 1e-3),
    frameLossRate: fc.double({ min: 0, max: 0.15, noNaN: true }),
    duplicateRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
    reorderRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  });
  const sizes = fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 12 });

  it('delivers every message exactly once and in order under loss, duplication, reordering and byte errors', () => {
    fc.assert(
      fc.property(faults, sizes, sizes, (f, sa, sb) => {
        const { seed, baud, ...line } = f;
        const opts = { maxFramePayload: 128, window: 8 };
        const sim = new LinkSim({
          seed,
          line: { baud, latencyMs: 2, reorderDelayMs: 5, ...line },
          a: opts,
          b: opts,
        });
        const toB = sa.map((n, i) => new Uint8Array(n).fill(i + 1));
        const toA = sb.map((n, i) => new Uint8Array(n).fill(i + 101));
        for (const m of toB) sim.send('a', m);
        for (const m of toA) sim.send('b', m);
        const done = () => sim.received('b').length >= toB.length && sim.received('a').length >= toA.length;
        expect(sim.runUntil(done, 600_000)).toBe(true);
        sim.run(1000); // late duplicates must not produce extra deliveries
        expect(sim.received('b')).toEqual(toB);
        expect(sim.received('a')).toEqual(toA);
        const bad = sim.events.filter((e) => ['peer-reset', 'link-down', 'error'].includes(e.event.type));
        expect(bad).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('after a reboot every message was delivered at most once or handed back, never silently lost', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 15 }),
        (seed, rebootAt, lens) => {
          const sim = new LinkSim({ seed, line: { baud: 115200, latencyMs: 2, byteErrorRate: 1e-4 } });
          const sent = lens.map((n, i) => new Uint8Array(n).fill(i + 1));
          for (const m of sent) sim.send('a', m);
          sim.run(rebootAt);
          sim.replace('b');
          sim.run(3000);
          const got = sim.received('b').map((m) => m[0]!);
          expect(new Set(got).size).toBe(got.length); // at most once
          const back = new Set<Uint8Array>();
          for (const e of sim.events) {
            if (e.side === 'a' && (e.event.type === 'peer-reset' || e.event.type === 'link-down')) {
              for (const m of [...e.event.unacked, ...e.event.unsent]) back.add(m);
              for (const m of e.event.unsent) expect(got).not.toContain(m[0]);
            }
          }
          for (const m of sent) expect(got.includes(m[0]!) || back.has(m)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});
