import { describe, expect, it } from 'vitest';
import { ProgressDisplay } from './progress.js';

function sink(isTTY: boolean): {
  out: string[];
  stream: { write(s: string): void; isTTY: boolean; columns: number };
} {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => out.push(s), isTTY, columns: 120 } };
}

const record = {
  epoch: 1,
  lr: 0.05,
  trainLoss: 0.5,
  trainAccuracy: 0.9,
  valLoss: 0.4,
  valAccuracy: 0.91,
  seconds: 12,
};

describe('ProgressDisplay', () => {
  it('draws a bar with ETA, loss and accuracy on a TTY', () => {
    let t = 0;
    const { out, stream } = sink(true);
    const p = new ProgressDisplay(stream, { now: () => t });
    p.epochStart(1, 3);
    t = 1000;
    p.batch(10, 40, 0.6789, 0.5);
    p.epochEnd(record);
    expect(out[0]).toMatch(/^\repoch 1\/3 \[=+ +\] 10\/40 ETA 0:03 loss 0\.6789 acc 50\.00%/);
    expect(out[1]).toContain('val_acc 91.00%');
    expect(out[1]!.endsWith('\n')).toBe(true);
  });

  it('prints a few plain lines per epoch otherwise', () => {
    const { out, stream } = sink(false);
    const p = new ProgressDisplay(stream, { now: () => 0, linesPerEpoch: 2 });
    p.epochStart(1, 3);
    for (let s = 1; s <= 10; s++) p.batch(s, 10, 1, 0.5);
    p.epochEnd(record);
    expect(out).toHaveLength(2);
    expect(out.every((l) => !l.includes('\r') && l.endsWith('\n'))).toBe(true);
    expect(out[1]).toMatch(/^epoch 1\/3 done in 0:12: loss 0\.5000 acc 90\.00%/);
  });
});
