/** One CSV record on one line: comma-separated, fields optionally double-quoted with "" as an escaped quote. */

export type CsvLineResult =
  | { readonly ok: true; readonly fields: string[] }
  | { readonly ok: false; readonly error: string };

export function splitCsvLine(line: string): CsvLineResult {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0)
          return { ok: false, error: 'unterminated quoted field (quoted line breaks are not supported)' };
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i < line.length && line[i] !== ',')
        return { ok: false, error: `unexpected text after a quoted field` };
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return { ok: true, fields };
    i++; // skip the comma
    if (i === line.length) {
      fields.push('');
      return { ok: true, fields };
    }
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number ("1", "-2.5", ".5e-3"); anything else, including "", "NaN", "0x1f", is undefined. */
export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}
