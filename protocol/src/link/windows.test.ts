import { describe, expect, it } from 'vitest';
import { type Delivery, ReceiveWindow } from './recv-window.js';
import { RtoEstimator } from './rto.js';
import { SendWindow } from './send-window.js';
import { seqAdd, seqDiff } from './seq.js';

const sink = (): Delivery => ({ messages: [], tooLarge: [] });

describe('sequence arithmetic (PROTOCOL.md §3.5.1)', () => {
  it('wraps at 2^16 and compares by signed distance', () => {
    expect(seqAdd(0xffff, 1)).toBe(0);
    expect(seqDiff(0, 0xffff)).toBe(1);
    expect(seqDiff(0xfff0, 0x10)).toBe(-32);
    expect(seqDiff(5, 5)).toBe(0);
  });
});

describe('SendWindow (PROTOCOL.md §3.4, §3.5)', () => {
  it('fragments messages, MORE on all but the last, and completes them on cumulative ack', () => {
    const s = new SendWindow();
    s.start(0xfffe, 8, 100);
    s.enqueue(new Uint8Array(250));
    s.enqueue(new Uint8Array(0));
    const frames = [s.next(0), s.next(0), s.next(0), s.next(0), s.next(0)];
    expect(frames.map((f) => f && [f.seq, f.payload.length, f.more])).toEqual([
      [0xfffe, 100, true],
      [0xffff, 100, true],
      [0, 50, false],
      [1, 0, false],
      undefined,
    ]);
    expect(s.onAck(0, undefined, 8, 5)).toMatchObject({ progress: true, completed: 0, rttMs: 5 });
    expect(s.onAck(2, undefined, 8, 6)).toMatchObject({ completed: 2 });
    expect(s.queuedMessages).toBe(0);
    expect(s.onAck(9, undefined, 8, 7).invalid).toBe(true);
  });

  it('honours window and rwnd, keeping one probe frame when rwnd is 0 (§3.5.5)', () => {
    const s = new SendWindow();
    s.start(0, 3, 64);
    for (let i = 0; i < 6; i++) s.enqueue(new Uint8Array(10));
    expect([s.next(0), s.next(0), s.next(0), s.next(0)].filter(Boolean)).toHaveLength(3);
    s.onAck(3, undefined, 0, 1);
    expect(s.next(1)?.seq).toBe(3);
    expect(s.next(1)).toBeUndefined();
    s.onAck(4, undefined, 2, 2);
    expect([s.next(2), s.next(2), s.next(2)].filter(Boolean)).toHaveLength(2);
  });

  it('declares holes below a selectively acked frame lost and retransmits them first (§3.5.7)', () => {
    const s = new SendWindow();
    s.start(10, 8, 64);
    for (let i = 0; i < 5; i++) s.enqueue(new Uint8Array(1));
    for (let i = 0; i < 5; i++) s.next(i);
    const r = s.onAck(10, 0b0110, 8, 20); // holds 12 and 13; 10 and 11 missing
    expect(r).toMatchObject({ progress: true, newlyLost: 2 });
    expect(s.next(21)).toMatchObject({ seq: 10, retransmission: true });
    expect(s.next(21)).toMatchObject({ seq: 11, retransmission: true });
    expect(s.next(21)).toBeUndefined();
    expect(s.deadline(100)).toBe(104); // seq 14, sent at 4
    expect(s.expire(104, 100)).toBe(1);
    expect(s.next(105)).toMatchObject({ seq: 14, retransmission: true });
    const d = s.drain();
    expect(d.unacked).toHaveLength(5);
    expect(d.unsent).toHaveLength(0);
  });
});

describe('ReceiveWindow (PROTOCOL.md §3.4.2, §3.5.8)', () => {
  it('delivers in order, holds out-of-order frames, reports duplicates and frames outside the window', () => {
    const r = new ReceiveWindow();
    r.start(0xfffe, 4, 1000);
    const out = sink();
    expect(r.accept(0xffff, Uint8Array.of(2), false, 4, out)).toBe('accepted');
    expect(r.sack()).toBe(0b1);
    expect(r.accept(0xffff, Uint8Array.of(2), false, 4, out)).toBe('duplicate');
    expect(r.accept(2, Uint8Array.of(9), false, 4, out)).toBe('outside');
    expect(r.accept(0xfffe, Uint8Array.of(1), true, 4, out)).toBe('accepted');
    expect(out.messages).toEqual([Uint8Array.of(1, 2)]);
    expect(r.ack).toBe(0);
    expect(r.accept(0xfffe, Uint8Array.of(1), false, 4, out)).toBe('duplicate');
    expect(r.accept(0, Uint8Array.of(1), false, 0, out)).toBe('outside'); // paused: rwnd 0
  });

  it('drops a message over the limit and resumes with the next one (§3.4.2)', () => {
    const r = new ReceiveWindow();
    r.start(0, 8, 5);
    const out = sink();
    r.accept(0, new Uint8Array(4), true, 8, out);
    r.accept(1, new Uint8Array(4), true, 8, out);
    r.accept(2, new Uint8Array(4), false, 8, out);
    r.accept(3, Uint8Array.of(7), false, 8, out);
    expect(out.tooLarge).toEqual([12]);
    expect(out.messages).toEqual([Uint8Array.of(7)]);
  });
});

describe('RtoEstimator (RFC 6298, PROTOCOL.md §3.5.6)', () => {
  it('follows RFC 6298 and backs off', () => {
    const e = new RtoEstimator({ initialMs: 1000, minMs: 20, maxMs: 2000 });
    expect(e.rto).toBe(1000);
    e.sample(100);
    expect(e.rto).toBe(300); // 100 + 4 * 50
    e.sample(100);
    expect(e.srtt).toBe(100);
    expect(e.rto).toBe(250); // rttvar 37.5
    e.backoff();
    expect(e.rto).toBe(500);
    for (let i = 0; i < 5; i++) e.backoff();
    expect(e.rto).toBe(2000);
    e.sample(1);
    expect(e.rto).toBeGreaterThanOrEqual(20);
  });
});
