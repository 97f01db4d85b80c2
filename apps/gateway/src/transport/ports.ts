/**
 * Port paths from the configuration: explicit paths, or globs (`*`, `?`) in the last path segment such as
 * `/dev/pts/*` or `/dev/ttyACM*`. Expanded by reading the directory: SerialPort.list() needs udevadm,
 * which containers lack (RESEARCH.md §6).
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const isGlob = (p: string) => /[*?]/.test(p);

function patternRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Never a device link: the pty multiplexer. */
const NEVER = new Set(['ptmx']);

/** Expands the configured patterns into sorted, distinct paths that exist now (explicit paths always). */
export function expandPorts(patterns: readonly string[], readDir = readdirSync): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    if (!isGlob(p)) {
      out.add(p);
      continue;
    }
    const dir = dirname(p);
    if (isGlob(dir)) continue; // globs only in the last segment (validated in config)
    const re = patternRegExp(basename(p));
    let names: string[];
    try {
      names = readDir(dir);
    } catch {
      continue;
    }
    for (const n of names) if (re.test(n) && !NEVER.has(n)) out.add(join(dir, n));
  }
  return [...out].sort();
}

export { isGlob };
