import { describe, expect, it } from 'vitest';
import { FrameFlag, FrameType } from '../constants/index.js';
import { Deframer } from './deframer.js';
import { LinkEndpoint } from './endpoint.js';
import { encodeFrame, encodeRawFrame, type Frame, stuff } from './frame.js';
import { decodeErrorPayload, decodeHello, encodeHello, type HelloPayload } from './payloads.js';
import { LinkSim } from './sim/index.js';
import type { LinkEvent } from './types.js';

const LINE = { baud: 921600, latencyMs: 2 };
const frames = (bytes: Uint8Array): Frame[] =>
  new Deframer().push(bytes).flatMap((r) => (r.ok ? [r.frame] : []));
const types = (evs: LinkEvent[]) => evs.map((e) => e.type);
const counter = () => {
  let n = 0x1000;
  return () => ++n;
};
const key = (m: Uint8Array) => Buffer.from(m).toString('hex');
const msg = (i: number, n = 300) => new Uint8Array(n).fill(i & 0xff);
const upBoth = (sim: LinkSim) =>
  sim.runUntil(() => sim.link('a').state === 'up' && sim.link('b').state === 'up', 2000);

/** This test plays the peer by hand: HELLO in, frames out. */
function rawPeer(ep: LinkEndpoint, offer: Partial<HelloPayload> = {}) {
  const hello: HelloPayload = {
    version: 1,
    window: 8,
    maxFramePayload: 64,
    maxMessageBytes: 200,
    epoch: 0x7000,
    peerEpoch: 0,
    ...offer,
  };
  ep.receiveBytes(encodeFrame({ type: FrameType.HELLO }, encodeHello(hello)), 0);
  const out = frames(ep.takeOutbox(0));
  let seq = hello.epoch & 0xffff;
  const data = (payload: Uint8Array, more = false) =>
    encodeFrame({ type: FrameType.DATA, flags: more ? FrameFlag.MORE : 0, seq: seq++ }, payload);
  return { hello, out, data };
}

describe('LinkEndpoint: HELLO negotiation (PROTOCOL.md §3.6)', () => {
  it('connects and agrees on the minimum of both offers', () => {
    const sim = new LinkSim({
      seed: 1,
      line: LINE,
      a: { window: 8, maxFramePayload: 512 },
      b: { window: 16, maxFramePayload: 128, maxMessageBytes: 4096 },
    });
    expect(upBoth(sim)).toBe(true);
    const want = { version: 1, window: 8, maxFramePayload: 128, maxMessageBytes: 4096 };
    expect(sim.link('a').params).toEqual(want);
    expect(sim.link('b').params).toEqual(want);
    expect(sim.link('a').peerEpoch).toBe(sim.link('b').localEpoch);
    expect(sim.link('b').peerEpoch).toBe(sim.link('a').localEpoch);
    expect(sim.now).toBeLessThan(20);
  });

  it('answers a repeated HELLO of the same epoch again without a reset (lost HELLO_ACK)', () => {
    const ep = new LinkEndpoint({ nonce: counter() });
    const { hello, out } = rawPeer(ep);
    expect(out.map((f) => f.header.type)).toEqual([FrameType.HELLO_ACK]);
    ep.takeEvents();
    ep.receiveBytes(encodeFrame({ type: FrameType.HELLO }, encodeHello(hello)), 300);
    const again = frames(ep.takeOutbox(300));
    expect(again.map((f) => f.header.type)).toEqual([FrameType.HELLO_ACK]);
    expect(decodeHello(again[0]!.payload)).toEqual(decodeHello(out[0]!.payload));
    expect(ep.takeEvents()).toEqual([]);
  });

  it('HELLO_ACK carries the negotiated values and echoes the HELLO epoch', () => {
    const ep = new LinkEndpoint({ nonce: () => 0xabc, window: 4 });
    const { out } = rawPeer(ep, { epoch: 0x42 });
    expect(decodeHello(out[0]!.payload)).toEqual({
      version: 1,
      window: 4,
      maxFramePayload: 64,
      maxMessageBytes: 200,
      epoch: 0xabc,
      peerEpoch: 0x42,
    });
  });

  it('rejects an out-of-range HELLO with an ERROR frame and stays down', () => {
    const ep = new LinkEndpoint();
    const { out } = rawPeer(ep, { window: 0 });
    expect(ep.state).toBe('connecting');
    const err = out.find((f) => f.header.type === FrameType.ERROR)!;
    expect(decodeErrorPayload(err.payload).name).toBe('OUT_OF_RANGE');
    expect(types(ep.takeEvents())).toEqual(['error']);
  });

  it('answers a frame with a good CRC but an unknown type with ERROR, and never answers ERROR (§3.8.2)', () => {
    const ep = new LinkEndpoint();
    ep.receiveBytes(stuff(encodeRawFrame({ type: 0x7f })), 0);
    expect(
      frames(ep.takeOutbox(0)).map((f) => [f.header.type, decodeErrorPayload(f.payload).name]),
    ).toContainEqual([FrameType.ERROR, 'UNKNOWN_TYPE']);
    ep.receiveBytes(stuff(encodeRawFrame({ type: FrameType.ERROR, version: 9 }, Uint8Array.of(1, 0))), 1);
    expect(frames(ep.takeOutbox(1)).filter((f) => f.header.type === FrameType.ERROR)).toHaveLength(0);
    ep.receiveBytes(encodeFrame({ type: FrameType.ERROR }, Uint8Array.of(9, 0, 0x68, 0x69)), 2);
    expect(ep.takeEvents().at(-1)).toEqual({ type: 'peer-error', code: 9, name: 'BUSY', text: 'hi' });
  });

  it('repeats HELLO every helloIntervalMs while nobody answers', () => {
    const ep = new LinkEndpoint({ helloIntervalMs: 100 });
    expect(frames(ep.takeOutbox(0)).map((f) => f.header.type)).toEqual([FrameType.HELLO]);
    expect(ep.takeOutbox(50).length).toBe(0);
    expect(ep.nextDeadlineMs()).toBe(100);
    expect(frames(ep.takeOutbox(100)).map((f) => f.header.type)).toEqual([FrameType.HELLO]);
  });
});

describe('LinkEndpoint: messages (PROTOCOL.md §3.4, §3.5)', () => {
  it('delivers messages of any size in both directions, fragmenting them', () => {
    const sim = new LinkSim({
      seed: 2,
      line: LINE,
      a: { maxFramePayload: 128 },
      b: { maxFramePayload: 128 },
    });
    const sizes = [0, 1, 127, 128, 129, 256, 4096, 65536];
    for (const [i, n] of sizes.entries()) {
      sim.send('a', msg(i, n));
      sim.send('b', msg(i + 100, n));
    }
    expect(sim.runUntil(() => sim.received('a').length + sim.received('b').length === 16, 10_000)).toBe(true);
    expect(sim.received('b')).toEqual(sizes.map((n, i) => msg(i, n)));
    expect(sim.received('a')).toEqual(sizes.map((n, i) => msg(i + 100, n)));
  });

  it('crosses the 16-bit sequence wrap', () => {
    const sim = new LinkSim({
      seed: 3,
      line: LINE,
      a: { nonce: () => 0x1234fff0 },
      b: { nonce: () => 0x9999ffff },
    });
    for (let i = 0; i < 60; i++) sim.send('a', msg(i));
    expect(sim.runUntil(() => sim.received('b').length === 60, 10_000)).toBe(true);
    expect(sim.received('b')).toEqual(Array.from({ length: 60 }, (_, i) => msg(i)));
  });

  it('throws TOO_LARGE for a message over the limit and reports queue-full with a later writable event', () => {
    const sim = new LinkSim({
      seed: 4,
      line: LINE,
      a: { maxQueuedMessages: 2 },
      b: { maxMessageBytes: 1000 },
    });
    const a = sim.link('a');
    expect(() => a.send(new Uint8Array(70_000))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    upBoth(sim);
    expect(() => a.send(new Uint8Array(1001))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect([sim.send('a', msg(1)), sim.send('a', msg(2)), sim.send('a', msg(3))]).toEqual([
      true,
      true,
      false,
    ]);
    expect(
      sim.runUntil(() => sim.events.some((e) => e.side === 'a' && e.event.type === 'writable'), 1000),
    ).toBe(true);
  });

  it('drops queued messages the negotiated limit cannot carry, with an error event naming them', () => {
    const sim = new LinkSim({ seed: 5, line: LINE, b: { maxMessageBytes: 100 } });
    const big = new Uint8Array(500);
    sim.send('a', big);
    upBoth(sim);
    const err = sim.events.find((e) => e.side === 'a' && e.event.type === 'error')?.event;
    expect(err).toMatchObject({ type: 'error', dropped: big, error: { code: 'TOO_LARGE' } });
  });

  it('drops an inbound message over the negotiated limit and reports TOO_LARGE both ways (§3.4.2)', () => {
    const ep = new LinkEndpoint();
    const { data } = rawPeer(ep, { maxMessageBytes: 100 });
    ep.takeEvents();
    ep.receiveBytes(Uint8Array.from([...data(new Uint8Array(64), true), ...data(new Uint8Array(64))]), 1);
    ep.receiveBytes(data(Uint8Array.of(5)), 2);
    const evs = ep.takeEvents();
    expect(evs.map((e) => (e.type === 'error' ? e.error.code : e.type))).toEqual(['TOO_LARGE', 'message']);
    const out = frames(ep.takeOutbox(3));
    expect(out.some((f) => f.header.type === FrameType.ERROR)).toBe(true);
    expect(out.find((f) => f.header.type === FrameType.ACK)?.header.ack).toBe((0x7000 + 3) & 0xffff);
  });

  it('pauses and resumes the receive side without losing anything or giving up (§3.5.5)', () => {
    const sim = new LinkSim({ seed: 6, line: LINE });
    upBoth(sim);
    sim.link('b').pauseReceive();
    for (let i = 0; i < 40; i++) sim.send('a', msg(i));
    sim.run(30_000);
    expect(sim.received('b').length).toBeLessThan(40);
    expect(sim.link('a').stats.linkDowns).toBe(0);
    sim.link('b').resumeReceive();
    expect(sim.runUntil(() => sim.received('b').length === 40, 5000)).toBe(true);
    expect(sim.received('b')).toEqual(Array.from({ length: 40 }, (_, i) => msg(i)));
  });
});

describe('LinkEndpoint: resets (PROTOCOL.md §3.6.4)', () => {
  it('reports a peer reboot with every message not known delivered, then reconnects', () => {
    const sim = new LinkSim({ seed: 7, line: { baud: 115200, latencyMs: 2 } });
    upBoth(sim);
    const sent = Array.from({ length: 30 }, (_, i) => msg(i, 1000));
    for (const m of sent) sim.send('a', m);
    sim.run(500);
    const before = sim.received('b').length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(30);
    sim.replace('b'); // reboot: new endpoint, new epoch
    expect(sim.runUntil(() => sim.events.some((e) => e.event.type === 'peer-reset'), 2000)).toBe(true);
    const reset = sim.events.find((e) => e.event.type === 'peer-reset')!.event;
    if (reset.type !== 'peer-reset') throw new Error('unreachable');
    expect(reset.unacked.length).toBeGreaterThan(0);
    const delivered = new Set(sim.received('b').map(key));
    expect(delivered.size).toBe(sim.received('b').length);
    // Every message is delivered or handed back; unsent ones were never delivered.
    for (const m of sent)
      expect(delivered.has(key(m)) || reset.unacked.includes(m) || reset.unsent.includes(m)).toBe(true);
    for (const m of reset.unsent) expect(delivered.has(key(m))).toBe(false);
    expect(upBoth(sim)).toBe(true);
    expect(sim.link('a').peerEpoch).toBe(sim.link('b').localEpoch);
    sim.send('a', msg(99));
    expect(sim.runUntil(() => sim.received('b').at(-1)?.[0] === 99, 2000)).toBe(true);
  });

  it('goes down after maxRetransmissions timeouts, hands messages back, and recovers when the line does', () => {
    const sim = new LinkSim({
      seed: 8,
      line: LINE,
      a: { maxRetransmissions: 3, initialRtoMs: 100, maxRtoMs: 200 },
    });
    upBoth(sim);
    sim.lines.a.configure({ frameLossRate: 1 });
    sim.lines.b.configure({ frameLossRate: 1 });
    const sent = [msg(1), msg(2)];
    for (const m of sent) sim.send('a', m);
    expect(sim.runUntil(() => sim.link('a').state === 'connecting', 5000)).toBe(true);
    const down = sim.events.find((e) => e.event.type === 'link-down')!.event;
    expect(down).toMatchObject({ type: 'link-down', reason: 'retransmissions', unacked: sent, unsent: [] });
    sim.lines.a.configure({ frameLossRate: 0 });
    sim.lines.b.configure({ frameLossRate: 0 });
    expect(upBoth(sim)).toBe(true);
    expect(sim.events.filter((e) => e.side === 'b').map((e) => e.event.type)).toContain('peer-reset');
  });

  it('reset() ends the session locally with reason local', () => {
    const sim = new LinkSim({ seed: 9, line: LINE });
    upBoth(sim);
    const old = sim.link('a').localEpoch;
    sim.link('a').reset(sim.now);
    expect(sim.link('a').takeEvents()).toMatchObject([{ type: 'link-down', reason: 'local' }]);
    expect(upBoth(sim)).toBe(true);
    expect(sim.link('a').localEpoch).not.toBe(old);
  });

  it('emits stats events when asked to', () => {
    const sim = new LinkSim({ seed: 10, line: LINE, a: { statsIntervalMs: 100 } });
    sim.run(350);
    const stats = sim.events.filter((e) => e.side === 'a' && e.event.type === 'stats');
    expect(stats).toHaveLength(3);
    expect(stats[2]!.event).toMatchObject({ stats: { state: 'up', connects: 1 } });
  });
});
