import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo as io, writeWindowsCsv } from '../fixtures.js';
import { main } from '../main.js';

interface Selected {
  key: string;
  test_accuracy: number;
  quant_accuracy: number;
  fits: boolean;
  quant_flash_bytes: number;
  ram_bytes: number;
  artifact: string | null;
}

describe('tinyfleet nas', () => {
  it('searches in a worker, selects k models, trains, quantizes and plans them (JSON)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-cli-nas-'));
    const csv = writeWindowsCsv(dir, 120, 'w.csv');
    const t = io(dir);
    const argv = ['nas', '--dataset', `csv:${csv}`, '--target', 'cortex-m4', '--strategy', 'zero-shot'];
    const rest = ['--budget', '24', '--population', '8', '--top', '2', '--workers', '1', '--json'];
    expect(
      await main([...argv, ...rest, '--train-epochs', '2', '--ram', '64K', '--out-dir', 'models'], t),
    ).toBe(0);
    const r = JSON.parse(t.chunks.out.at(-1)!) as {
      target: string;
      proxies: string[];
      evaluated: number;
      scored: number;
      constraints: { ram_bytes: number; flash_bytes: number };
      selected: Selected[];
    };
    expect(r.target).toBe('cortex-m4');
    expect(r.proxies).toEqual(['grad_norm', 'snip', 'params']);
    expect(r.constraints.ram_bytes).toBe(64 * 1024);
    expect(r.constraints.flash_bytes).toBe(448 * 1024);
    expect(r.evaluated).toBeLessThanOrEqual(24);
    expect(r.scored).toBeGreaterThan(0);
    expect(r.selected.length).toBeGreaterThan(0);
    expect(r.selected.length).toBeLessThanOrEqual(2);
    for (const s of r.selected) {
      expect(s.ram_bytes).toBeLessThanOrEqual(64 * 1024);
      expect(s.fits).toBe(true);
      expect(s.test_accuracy).toBeGreaterThanOrEqual(0);
      expect(s.quant_accuracy).toBeGreaterThanOrEqual(0);
      expect(s.quant_flash_bytes).toBeGreaterThan(0);
      // every model that fits is written as an artifact, ready for OTA
      expect(s.artifact).toBe(join(dir, 'models', `nas-${r.selected.indexOf(s) + 1}.tfm`));
      expect(existsSync(s.artifact!)).toBe(true);
    }
  }, 120_000);

  it('mobo-ars: the most accurate of its trained front go through the same final step (int8, plan, artifact)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-cli-nas-mobo-'));
    const csv = writeWindowsCsv(dir, 120, 'w.csv');
    const t = io(dir);
    const argv = ['nas', '--dataset', `csv:${csv}`, '--strategy', 'mobo-ars', '--budget', '3', '--top', '1'];
    const limits = ['--ram', '64K', '--max-macs', '2e5'];
    const rest = ['--train-epochs', '1', '--out-dir', 'models', '--json'];
    expect(await main([...argv, ...limits, ...rest], t)).toBe(0);
    const r = JSON.parse(t.chunks.out.at(-1)!) as {
      strategy: string;
      selected: (Selected & { prune_schedule?: string; quant_test_samples?: number })[];
    };
    expect(r.strategy).toBe('mobo-ars');
    const [first, ...others] = r.selected;
    expect(first!.prune_schedule).toBe('agp');
    expect(first!.quant_accuracy).toBeGreaterThanOrEqual(0);
    expect(first!.quant_test_samples).toBeGreaterThan(0);
    expect(first!.fits).toBe(true);
    expect(first!.artifact).toBe(join(dir, 'models', 'nas-1.tfm'));
    expect(existsSync(first!.artifact!)).toBe(true);
    // only --top 1 went through the final step
    for (const s of others) expect(s.quant_accuracy).toBeUndefined();
  }, 120_000);

  it("names the planner's targets when the target is unknown, and keeps --strategy parsing", async () => {
    const t = io(tmpdir());
    expect(await main(['nas', '--dataset', 'mnist', '--target', 'z80'], t)).not.toBe(0);
    expect(t.err()).toMatch(/known: cortex-m0plus.*cortex-m55/);
    const u = io(tmpdir());
    expect(await main(['nas', '--dataset', 'mnist', '--strategy', 'nope'], u)).not.toBe(0);
    expect(u.err()).toMatch(/zero-shot/);
    expect(u.err()).toMatch(/mobo-ars/);
  });
});
