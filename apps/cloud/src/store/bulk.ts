/**
 * Multi-row INSERTs: a batch of rows goes to SQLite in a few statements (up to ROWS_PER_STATEMENT rows
 * each) instead of one call per row. Statements are prepared once per row count and kept.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/** Rows per statement: with a dozen columns, well under SQLite's 32,766 parameters. */
export const ROWS_PER_STATEMENT = 64;

/**
 * An inserter of rows into `table` (`columns` in order). It returns the id of each row inserted, in
 * order: the rows of one INSERT get consecutive ids, because each new row of a rowid table without
 * AUTOINCREMENT takes the largest id + 1 and the caller's transaction holds the write lock.
 */
export function bulkInsert(
  db: Db,
  table: string,
  columns: readonly string[],
): (rows: unknown[][]) => number[] {
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
  return (rows) => {
    const ids: number[] = [];
    for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(at, at + ROWS_PER_STATEMENT);
      const last = Number(statement(chunk.length).run(...chunk.flat()).lastInsertRowid);
      for (let i = chunk.length - 1; i >= 0; i--) ids.push(last - i);
    }
    return ids;
  };
}
