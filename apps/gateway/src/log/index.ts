/**
 * Structured logs: one JSON object per line on stderr, `{level, time, msg, ...fields}`. Components take a
 * `Logger`; tests pass `memoryLogger()` and read the records back.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record. */
  child(fields: LogFields): Logger;
}

export interface LogRecord extends LogFields {
  level: LogLevel;
  time: string;
  msg: string;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Errors become `{name, message, code}` so they survive JSON.stringify. */
function plain(v: unknown): unknown {
  if (v instanceof Error) {
    const code = (v as Error & { code?: unknown }).code;
    return { name: v.name, message: v.message, ...(code !== undefined && { code }) };
  }
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return v;
}

export function makeLogger(
  sink: (r: LogRecord) => void,
  min: LogLevel = 'info',
  base: LogFields = {},
): Logger {
  const log = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (RANK[level] < RANK[min]) return;
    const rec: LogRecord = { level, time: new Date().toISOString(), msg, ...base };
    for (const [k, v] of Object.entries(fields)) rec[k] = plain(v);
    sink(rec);
  };
  return {
    log,
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => makeLogger(sink, min, { ...base, ...fields }),
  };
}

/** The daemon's logger: JSON lines on stderr. */
export function stderrLogger(min: LogLevel = 'info'): Logger {
  return makeLogger((r) => process.stderr.write(`${JSON.stringify(r)}\n`), min);
}

/** In-memory twin for tests. */
export function memoryLogger(min: LogLevel = 'debug'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return Object.assign(
    makeLogger((r) => records.push(r), min),
    { records },
  );
}

export const silentLogger: Logger = makeLogger(() => {}, 'error');
