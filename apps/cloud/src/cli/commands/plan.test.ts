import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeModelSync } from '../../ml/model/format.js';
import { buildModel } from '../../ml/zoo/index.js';
import type { CliIo } from '../io.js';
import { main } from '../main.js';

function memIo(cwd: string): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    cwd,
    env: {},
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
  };
}

describe('tinyfleet plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-plan-'));
  writeModelSync(join(dir, 'ref.tfmodel'), {
    graph: buildModel('ref-cnn', { inputShape: [28, 28, 1], classes: 10 }),
    metadata: {},
    training: null,
  });
  writeModelSync(join(dir, 'big.tfmodel'), {
    graph: buildModel('resnet', { inputShape: [96, 96, 3], classes: 10, width: 64 }),
    metadata: {},
    training: null,
  });

  it('prints the plan as JSON', async () => {
    const io = memIo(dir);
    expect(
      await main(['plan', 'ref.tfmodel', '--target', 'cortex-m4', '--trainable', 'last2', '--json'], io),
    ).toBe(0);
    const r = JSON.parse(io.out.join(''));
    expect(r).toMatchObject({
      flash_bytes: 14736,
      train_ram_bytes: 106368,
      macs: 662912,
      fits: true,
      limits: [],
    });
    for (const k of ['ram_bytes', 'latency_ms', 'energy_mj']) expect(typeof r[k]).toBe('number');
  });

  it('says which limit fails', async () => {
    const io = memIo(dir);
    expect(
      await main(['plan', 'big.tfmodel', '--target', 'cortex-m0plus', '--trainable', 'all', '--json'], io),
    ).toBe(0);
    const r = JSON.parse(io.out.join(''));
    expect(r.fits).toBe(false);
    expect(r.limits).toContain('train_ram');
  });

  it('lists targets and rejects unknown ones', async () => {
    const io = memIo(dir);
    expect(await main(['plan', '--list-targets'], io)).toBe(0);
    expect(io.out.join('')).toContain('cortex-m55');
    const bad = memIo(dir);
    expect(await main(['plan', 'ref.tfmodel', '--target', 'z80'], bad)).toBe(1);
    expect(bad.err.join('')).toContain('UNKNOWN_TARGET');
  });
});
