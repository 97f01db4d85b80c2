/** Fleets: a named group of gateways and their devices. */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, toPage } from '../pagination.js';
import type { Fleet, Page, PageRequest } from '../types.js';

interface Row {
  id: string;
  name: string;
  description: string;
  created_ms: number;
  updated_ms: number;
}

const toFleet = (r: Row): Fleet => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdMs: r.created_ms,
  updatedMs: r.updated_ms,
});

export class FleetRepo {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #update;
  readonly #delete;
  readonly #inUse;

  constructor(db: Db) {
    this.#insert = db.prepare<[string, string, string, number, number]>(
      'INSERT INTO fleets (id, name, description, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM fleets WHERE id = ?');
    this.#list = db.prepare<[string, number], Row>('SELECT * FROM fleets WHERE id > ? ORDER BY id LIMIT ?');
    this.#update = db.prepare<[string, string, number, string]>(
      'UPDATE fleets SET name = ?, description = ?, updated_ms = ? WHERE id = ?',
    );
    this.#delete = db.prepare<[string]>('DELETE FROM fleets WHERE id = ?');
    this.#inUse = db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM gateways WHERE fleet_id = ?',
    );
  }

  create(input: { name: string; description?: string | undefined }, nowMs = Date.now()): Fleet {
    const id = newId('flt', nowMs);
    this.#insert.run(id, input.name, input.description ?? '', nowMs, nowMs);
    return this.require(id);
  }

  get(id: string): Fleet | undefined {
    const r = this.#get.get(id);
    return r && toFleet(r);
  }

  require(id: string): Fleet {
    const f = this.get(id);
    if (!f) throw new StoreError('NOT_FOUND', `fleet ${id} not found`);
    return f;
  }

  list(page: PageRequest): Page<Fleet> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    return toPage(this.#list.all(after, page.limit + 1), page.limit, toFleet, (r) => [r.id]);
  }

  update(
    id: string,
    patch: { name?: string | undefined; description?: string | undefined },
    nowMs = Date.now(),
  ): Fleet {
    const f = this.require(id);
    this.#update.run(patch.name ?? f.name, patch.description ?? f.description, nowMs, id);
    return this.require(id);
  }

  /** Refuses (CONFLICT) while gateways still belong to the fleet. */
  delete(id: string): void {
    this.require(id);
    const n = this.#inUse.get(id)?.n ?? 0;
    if (n > 0) throw new StoreError('CONFLICT', `fleet ${id} still has ${n} gateway(s)`);
    this.#delete.run(id);
  }
}
