/** Flag parsing on top of node:util parseArgs, with typed usage errors (exit code 2). */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
  readonly exitCode = 2;
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** Shown in --help: value placeholder and description. */
  readonly value?: string;
  readonly help: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface Parsed {
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

export function parseFlags(argv: readonly string[], specs: FlagSpecs, positionals: number): Parsed {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [k, s] of Object.entries(specs)) options[k] = { type: s.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (cause) {
    throw new UsageError((cause as Error).message, { cause });
  }
  if (parsed.values.help !== true && parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  }
  return { flags: parsed.values as Parsed['flags'], positionals: parsed.positionals };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(p: Parsed, name: string): string {
  const v = str(p, name);
  if (v === undefined || v === '') throw new UsageError(`missing required flag --${name}`);
  return v;
}

export function number(
  p: Parsed,
  name: string,
  o: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  const bad =
    v.trim() === '' ||
    !Number.isFinite(n) ||
    (o.integer && !Number.isInteger(n)) ||
    (o.min !== undefined && n < o.min) ||
    (o.max !== undefined && n > o.max);
  if (bad) {
    const range = [o.min !== undefined ? `>= ${o.min}` : '', o.max !== undefined ? `<= ${o.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(
      `--${name} must be ${o.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got "${v}"`,
    );
  }
  return n;
}

export function oneOf<T extends string>(p: Parsed, name: string, allowed: readonly T[]): T | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

export function formatHelp(usage: string, summary: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(
    ([k, s]) => [`--${k}${s.value ? ` ${s.value}` : ''}`, s.help] as const,
  );
  rows.push(['--help', 'show this help']);
  const w = Math.max(...rows.map(([l]) => l.length));
  return `usage: ${usage}\n\n${summary}\n\noptions:\n${rows.map(([l, h]) => `  ${l.padEnd(w)}  ${h}`).join('\n')}\n`;
}
