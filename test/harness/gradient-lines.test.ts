import { afterEach, describe, expect, it, vi } from 'vitest';
import { GradientLines } from './gradient-lines.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('GradientLines', () => {
  it("prints one line per device and step: a step's messages summed per layer", () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const g = new GradientLines((l) => lines.push(l), 300);
    for (const n of [5, 5, 5, 1]) g.add({ deviceId: 'a', step: 100, layer: 2, updatedCount: n });
    g.add({ deviceId: 'b', step: 100, layer: 5, updatedCount: 1 });
    g.add({ deviceId: 'a', step: 100, layer: 5, updatedCount: 1 });
    g.add({ deviceId: 'a', step: 100, layer: 5, updatedCount: 1 });
    expect(lines).toEqual([]);
    g.add({ deviceId: 'a', step: 200, layer: 2, updatedCount: 3 }); // a moved on: its step 100 is complete
    expect(lines).toEqual([
      'gradient  a step 100: layer 2 16 structures in 4 messages, layer 5 2 structures in 2 messages',
    ]);
    vi.advanceTimersByTime(299);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1); // quiet for 300 ms since each device's last message
    expect(lines.slice(1).sort()).toEqual([
      'gradient  a step 200: layer 2 3 structures',
      'gradient  b step 100: layer 5 1 structure',
    ]);
    g.add({ deviceId: 'a', step: 300, layer: 2, updatedCount: 4 });
    g.flushAll();
    expect(lines.at(-1)).toBe('gradient  a step 300: layer 2 4 structures');
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(4);
  });
});
