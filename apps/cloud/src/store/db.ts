/**
 * Opening the SQLite file: WAL, `synchronous=FULL` by default (every commit reaches the disk before we
 * acknowledge the data it holds: the ingest ledger must survive power loss), foreign keys on. Telemetry
 * ingestion alone commits with `synchronous=NORMAL` and acknowledges only after a later fsync of the WAL
 * (group commit, apps/cloud/src/broker/ingest/group-commit.ts): the same guarantee, one fsync per batch.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** `':memory:'` gives the in-memory twin (same SQL, nothing on disk). */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
