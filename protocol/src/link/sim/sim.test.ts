import { describe, expect, it } from 'vitest';
import { LinkSim } from './link-sim.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { UartChannel } from './uart.js';

describe('Scheduler', () => {
  it('runs events by time, equal times in scheduling order, never in the past', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(5, () => log.push('b'));
    s.at(1, () => log.push('a'));
    s.at(5, () => {
      log.push('c');
      s.at(0, () => log.push(`d@${s.now}`));
    });
    s.runUntil(10);
    expect(log).toEqual(['a', 'b', 'c', 'd@5']);
    expect(s.now).toBe(10);
  });

  it('stops a participant that schedules forever at one instant', () => {
    const s = new Scheduler();
    const again = () => s.at(s.now, again);
    again();
    expect(() => s.runUntil(1)).toThrow(/livelock/);
  });
});

describe('UartChannel', () => {
  it('takes 10 bit times per byte plus latency, back to back, one delivery per delimiter', () => {
    const s = new Scheduler();
    const got: [number, number[]][] = [];
    const ch = new UartChannel(s, { baud: 10_000, latencyMs: 2 }, new Prng(1), (b, t) =>
      got.push([t, [...b]]),
    );
    expect(ch.transmit(Uint8Array.of(1, 2, 0, 3, 0))).toBe(5); // 1 ms per byte
    expect(ch.transmit(Uint8Array.of(4, 0))).toBe(7);
    s.runUntil(100);
    expect(got).toEqual([
      [5, [1, 2, 0]],
      [7, [3, 0]],
      [9, [4, 0]],
    ]);
  });

  it('corrupts bytes at about the configured rate', () => {
    const s = new Scheduler();
    const ch = new UartChannel(s, { baud: 1e9, byteErrorRate: 0.01 }, new Prng(2), () => {});
    for (let i = 0; i < 100; i++) ch.transmit(new Uint8Array(1000).fill(1));
    expect(ch.stats.corruptedBytes).toBeGreaterThan(800);
    expect(ch.stats.corruptedBytes).toBeLessThan(1200);
  });

  it('loses, duplicates and reorders segments', () => {
    const s = new Scheduler();
    const got: number[] = [];
    const opts = { baud: 1e6, frameLossRate: 0.2, duplicateRate: 0.2, reorderRate: 0.3, reorderDelayMs: 1 };
    const ch = new UartChannel(s, opts, new Prng(3), (b) => got.push(b[0]!));
    for (let i = 1; i <= 200; i++) ch.transmit(Uint8Array.of(i, 0));
    s.runUntil(1000);
    const { droppedSegments, duplicatedSegments } = ch.stats;
    expect(got.length).toBe(200 - droppedSegments + duplicatedSegments);
    expect(droppedSegments).toBeGreaterThan(0);
    expect(duplicatedSegments).toBeGreaterThan(0);
    expect(got.some((v, i) => i > 0 && v < got[i - 1]!)).toBe(true);
  });
});

describe('LinkSim', () => {
  const run = (seed: number) => {
    const sim = new LinkSim({
      seed,
      line: { baud: 115200, latencyMs: 2, byteErrorRate: 1e-3, frameLossRate: 0.05, reorderRate: 0.05 },
    });
    for (let i = 0; i < 20; i++) sim.send('a', new Uint8Array(500).fill(i));
    sim.runUntil(() => sim.received('b').length === 20, 60_000);
    return sim.events.map((e) => `${e.side}@${e.atMs}:${e.event.type}`).join(' ');
  };

  it('is deterministic for a seed', () => {
    expect(run(11)).toBe(run(11));
    expect(run(11)).not.toBe(run(12));
  });

  it('moves data at the line rate with no faults', () => {
    const sim = new LinkSim({
      seed: 1,
      line: { baud: 115200, latencyMs: 2 },
      a: { maxQueuedBytes: 1 << 20 },
    });
    for (let i = 0; i < 64; i++) sim.send('a', new Uint8Array(4096));
    expect(sim.runUntil(() => sim.received('b').length === 64, 60_000)).toBe(true);
    const fraction = (64 * 4096) / (sim.now / 1000) / (115200 / 10);
    expect(fraction).toBeGreaterThan(0.9);
    expect(fraction).toBeLessThan(1);
  });
});
