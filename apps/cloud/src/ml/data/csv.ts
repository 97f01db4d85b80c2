/**
 * Fixed-length windows of a multichannel time series, one sample per CSV row (README.md, "CSV windows").
 * Header: a `label` column, an optional `split` column (train / test) and one column `<channel>_<t>` per
 * channel and time step t = 0..T-1. Output x[t * C + c] with shape [T, C] (or [T, C, 1]).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseDecimal, splitCsvLine } from './csv-line.js';
import { isFile } from './files.js';
import { checkIndex, stratifiedSplit, testFractionOf } from './split.js';
import { type DataSplit, type Dataset, DatasetError } from './types.js';

export interface CsvOptions {
  /** Split when there is no `split` column: per class, a seeded `testFraction` (default 0.2) goes to test. */
  readonly seed?: number;
  readonly testFraction?: number;
  readonly layout?: 'series' | 'image';
}

export interface CsvDataset extends Dataset {
  readonly channels: readonly string[];
  readonly steps: number;
}

interface Layout {
  readonly channels: string[];
  readonly steps: number;
  readonly labelCol: number;
  readonly splitCol: number;
  /** For each column, its offset t * C + c in x, or -1 for label / split. */
  readonly offsets: Int32Array;
}

const CHANNEL_COLUMN = /^(.+)_(\d+)$/;

export async function loadCsvWindows(path: string, opts: CsvOptions = {}): Promise<CsvDataset> {
  const testFraction = testFractionOf(opts.testFraction, path);
  if (!isFile(path)) throw new DatasetError('CSV file not found', path, { code: 'not_found' });
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let layout: Layout | undefined;
  let lineNo = 0;
  let x = new Float32Array(1024);
  let rows = 0;
  const labels: string[] = [];
  const splits: ('train' | 'test')[] = [];
  const fail = (msg: string): never => {
    throw new DatasetError(`line ${lineNo}: ${msg}`, path);
  };
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      const parsed = splitCsvLine(line);
      if (!parsed.ok) fail(parsed.error);
      const fields = parsed.ok ? parsed.fields : [];
      if (!layout) {
        layout = parseHeader(fields, fail);
        continue;
      }
      if (fields.length !== layout.offsets.length) {
        fail(`expected ${layout.offsets.length} fields as in the header, got ${fields.length}`);
      }
      const len = layout.steps * layout.channels.length;
      if ((rows + 1) * len > x.length) {
        const bigger = new Float32Array(Math.max(x.length * 2, (rows + 1) * len));
        bigger.set(x);
        x = bigger;
      }
      const base = rows * len;
      for (let col = 0; col < fields.length; col++) {
        const off = layout.offsets[col] as number;
        const text = fields[col] as string;
        if (off >= 0) {
          const v = parseDecimal(text);
          if (v === undefined)
            fail(`column ${col + 1} (${header(layout, col)}): "${text}" is not a finite number`);
          x[base + off] = v as number;
        }
      }
      const label = (fields[layout.labelCol] as string).trim();
      if (label === '') fail('empty label');
      labels.push(label);
      if (layout.splitCol >= 0) {
        const s = (fields[layout.splitCol] as string).trim().toLowerCase();
        if (s !== 'train' && s !== 'test') fail(`split must be "train" or "test", got "${s}"`);
        splits.push(s as 'train' | 'test');
      }
      rows++;
    }
  } catch (cause) {
    if (cause instanceof DatasetError) throw cause;
    throw new DatasetError(
      `cannot read CSV: ${cause instanceof Error ? cause.message : String(cause)}`,
      path,
      {
        cause,
        code: 'not_found',
      },
    );
  } finally {
    lines.close();
  }
  if (!layout) throw new DatasetError('empty CSV: no header row', path);
  if (rows === 0) throw new DatasetError('CSV has a header but no data rows', path);
  const { classNames, y } = encodeLabels(labels);
  const len = layout.steps * layout.channels.length;
  let trainIdx: number[];
  let testIdx: number[];
  if (layout.splitCol >= 0) {
    trainIdx = splits.flatMap((s, i) => (s === 'train' ? [i] : []));
    testIdx = splits.flatMap((s, i) => (s === 'test' ? [i] : []));
  } else {
    ({ train: trainIdx, test: testIdx } = stratifiedSplit(y, testFraction, opts.seed ?? 0));
  }
  const C = layout.channels.length;
  return {
    name: `csv:${path}`,
    inputShape: opts.layout === 'image' ? [layout.steps, C, 1] : [layout.steps, C],
    numClasses: classNames.length,
    classNames,
    train: rowSplit(trainIdx, x, y, len),
    test: rowSplit(testIdx, x, y, len),
    channels: layout.channels,
    steps: layout.steps,
  };
}

function parseHeader(names: readonly string[], fail: (msg: string) => never): Layout {
  const channels: string[] = [];
  const cols: { c: number; t: number }[] = [];
  let labelCol = -1;
  let splitCol = -1;
  const seen = new Set<string>();
  names.forEach((name, col) => {
    if (seen.has(name)) fail(`duplicate column "${name}"`);
    seen.add(name);
    if (name === 'label') labelCol = col;
    else if (name === 'split') splitCol = col;
    else {
      const m = CHANNEL_COLUMN.exec(name);
      if (!m) fail(`column ${col + 1} "${name}" is neither label, split nor <channel>_<t>`);
      const ch = (m as RegExpExecArray)[1] as string;
      let c = channels.indexOf(ch);
      if (c < 0) c = channels.push(ch) - 1;
      cols[col] = { c, t: Number((m as RegExpExecArray)[2]) };
    }
  });
  if (labelCol < 0) fail('no "label" column in the header');
  if (channels.length === 0) fail('no <channel>_<t> columns in the header');
  const steps = names.length - (splitCol >= 0 ? 2 : 1);
  const T = steps / channels.length;
  const C = channels.length;
  const offsets = new Int32Array(names.length).fill(-1);
  const filled = new Uint8Array(Number.isInteger(T) ? T * C : 0);
  cols.forEach((p, col) => {
    if (!p) return;
    if (!Number.isInteger(T) || p.t >= T)
      fail(`channels must share time steps 0..T-1; "${names[col]}" breaks it`);
    offsets[col] = p.t * C + p.c;
    filled[p.t * C + p.c] = 1;
  });
  const gap = filled.indexOf(0);
  if (gap >= 0) fail(`missing column "${channels[gap % C]}_${Math.floor(gap / C)}"`);
  return { channels, steps: T, labelCol, splitCol, offsets };
}

function header(layout: Layout, col: number): string {
  const off = layout.offsets[col] as number;
  const C = layout.channels.length;
  return `${layout.channels[off % C]}_${Math.floor(off / C)}`;
}

/** All labels non-negative integers: class i is "i" (0..max). Otherwise: the distinct strings, sorted. */
export function encodeLabels(labels: readonly string[]): { classNames: string[]; y: Int32Array } {
  if (labels.every((l) => /^\d+$/.test(l))) {
    const y = Int32Array.from(labels, Number);
    const max = y.reduce((a, b) => Math.max(a, b), 0);
    return { classNames: Array.from({ length: max + 1 }, (_, i) => String(i)), y };
  }
  const classNames = [...new Set(labels)].sort();
  const index = new Map(classNames.map((n, i) => [n, i]));
  return { classNames, y: Int32Array.from(labels, (l) => index.get(l) ?? 0) };
}

function rowSplit(rows: readonly number[], x: Float32Array, y: Int32Array, len: number): DataSplit {
  return {
    size: rows.length,
    get(index: number) {
      checkIndex(index, rows.length);
      const r = rows[index] as number;
      return { x: x.slice(r * len, (r + 1) * len), y: y[r] as number };
    },
  };
}
