/**
 * Multi-row INSERTs: a batch of rows goes to SQLite in a few statements instead of one call per row. A
 * statement holds a power of two of rows, up to ROWS_PER_STATEMENT (a batch of 55 goes as 32 + 16 + 4 +
 * 2 + 1), so a table needs at most 7 prepared statements whatever the batch sizes, prepared once each.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/** Most rows per statement: with a dozen columns, well under SQLite's 32,766 parameters. */
export const ROWS_PER_STATEMENT = 64;

/**
 * An inserter of rows into `table`. It takes the rows' values flat, row after row (`columns` in order),
 * and returns the id of each row inserted, in order: the rows of one INSERT get consecutive ids, because
 * each new row of a rowid table without AUTOINCREMENT takes the largest id + 1 and the caller's
 * transaction holds the write lock. Flat values bind as one array per statement: no array per row, no
 * spread of hundreds of arguments (bench:ingest).
 */
export function bulkInsert(
  db: Db,
  table: string,
  columns: readonly string[],
): (values: unknown[]) => number[] {
  const width = columns.length;
  const statements = new Map<number, Statement<unknown[]>>();
  const one = `(${columns.map(() => '?').join(', ')})`;
  const statement = (n: number): Statement<unknown[]> => {
    let s = statements.get(n);
    if (!s) {
      s = db.prepare<unknown[]>(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(n).fill(one).join(', ')}`,
      );
      statements.set(n, s);
    }
    return s;
  };
  return (values) => {
    if (values.length % width !== 0) {
      throw new RangeError(`${table}: ${values.length} values are not rows of ${width}`);
    }
    const rows = values.length / width;
    const ids: number[] = new Array(rows);
    let at = 0;
    while (at < rows) {
      let n = ROWS_PER_STATEMENT;
      while (n > rows - at) n >>= 1;
      const chunk = n === rows ? values : values.slice(at * width, (at + n) * width);
      const last = Number(statement(n).run(chunk).lastInsertRowid);
      for (let i = 0; i < n; i++) ids[at + i] = last - n + 1 + i;
      at += n;
    }
    return ids;
  };
}
