/** Test fixtures for commands: a small, learnable CSV data set of 2-channel, 8-step windows; an in-memory io. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../ml/tensor/rng.js';
import type { CliIo } from './io.js';

/**
 * Writes `dir/name`: `rows` windows, class 0 when channel a is high, class 1 when b is (noise 0..0.5 on
 * top of a step of 1); returns the path.
 */
export function writeWindowsCsv(dir: string, rows = 160, name = 'windows.csv'): string {
  const rng = new Rng(3);
  const cols = ['label', ...['a', 'b'].flatMap((c) => Array.from({ length: 8 }, (_, t) => `${c}_${t}`))];
  const lines = [cols.join(',')];
  for (let i = 0; i < rows; i++) {
    const y = i % 2;
    const v = (ch: number): string => (rng.uniform(0, 0.5) + (ch === y ? 1 : 0)).toFixed(3);
    lines.push(
      [y, ...Array.from({ length: 8 }, () => v(0)), ...Array.from({ length: 8 }, () => v(1))].join(','),
    );
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export interface MemoryIo extends CliIo {
  /** What the command wrote, chunk by chunk. */
  readonly chunks: { readonly out: string[]; readonly err: string[] };
  out(): string;
  err(): string;
}

/** An in-memory io for running commands in tests: stdout and stderr are kept, env and cwd are given. */
export function memoryIo(cwd: string, env: Record<string, string | undefined> = {}): MemoryIo {
  const chunks = { out: [] as string[], err: [] as string[] };
  return {
    chunks,
    stdout: { write: (s: string) => chunks.out.push(s) },
    stderr: { write: (s: string) => chunks.err.push(s) },
    env,
    cwd,
    out: () => chunks.out.join(''),
    err: () => chunks.err.join(''),
  };
}
