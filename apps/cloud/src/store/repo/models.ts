/** The model registry: artifact files stored content-addressed by object id (PROTOCOL.md §2.7, §5). */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { Page, PageRequest } from '../types.js';

export interface ModelRecord {
  id: string;
  name: string;
  version: number;
  /** Artifact content digest, hex (§5.8): what devices report as `sha`. */
  sha256: string;
  /** SHA-256 of the whole file, hex (§2.7): what gateways fetch. */
  objectId: string;
  size: number;
  keyId: string;
  abiVersion: number;
  arenaInferBytes: number;
  arenaTrainBytes: number;
  ramBytes: number;
  training: boolean;
  /** OP_KINDS values the artifact uses, ascending (§5.4). */
  opKinds: number[];
  /** MCU cores the model is built for; empty: any. */
  cores: string[];
  createdMs: number;
}

export type NewModel = Omit<ModelRecord, 'createdMs'>;

interface Row {
  id: string;
  name: string;
  version: number;
  sha256: string;
  object_id: string;
  size: number;
  key_id: string;
  abi_version: number;
  arena_infer_bytes: number;
  arena_train_bytes: number;
  ram_bytes: number;
  training: number;
  op_kinds_json: string;
  cores_json: string;
  created_ms: number;
}

const toModel = (r: Row): ModelRecord => ({
  id: r.id,
  name: r.name,
  version: r.version,
  sha256: r.sha256,
  objectId: r.object_id,
  size: r.size,
  keyId: r.key_id,
  abiVersion: r.abi_version,
  arenaInferBytes: r.arena_infer_bytes,
  arenaTrainBytes: r.arena_train_bytes,
  ramBytes: r.ram_bytes,
  training: r.training === 1,
  opKinds: parseJsonColumn<number[]>(r.op_kinds_json, 'model op kinds'),
  cores: parseJsonColumn<string[]>(r.cores_json, 'model cores'),
  createdMs: r.created_ms,
});

export class ModelRepo {
  readonly #insert;
  readonly #get;
  readonly #byObject;
  readonly #list;
  readonly #previous;

  constructor(db: Db) {
    this.#insert = db.prepare(
      `INSERT INTO models (id, name, version, sha256, object_id, size, key_id, abi_version, arena_infer_bytes,
         arena_train_bytes, ram_bytes, training, op_kinds_json, cores_json, created_ms)
       VALUES (@id, @name, @version, @sha256, @objectId, @size, @keyId, @abiVersion, @arenaInferBytes,
         @arenaTrainBytes, @ramBytes, @training, @opKinds, @cores, @createdMs)`,
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM models WHERE id = ?');
    this.#byObject = db.prepare<[string], Row>('SELECT * FROM models WHERE object_id = ?');
    this.#list = db.prepare<{ after: string; name: string | null; limit: number }, Row>(
      `SELECT * FROM models WHERE id > @after AND (@name IS NULL OR name = @name) ORDER BY id LIMIT @limit`,
    );
    this.#previous = db.prepare<[string, number], Row>(
      'SELECT * FROM models WHERE name = ? AND version < ? ORDER BY version DESC, id DESC LIMIT 1',
    );
  }

  insert(m: NewModel, nowMs = Date.now()): ModelRecord {
    if (this.byObjectId(m.objectId)) throw new StoreError('CONFLICT', `object ${m.objectId} is registered`);
    this.#insert.run({
      ...m,
      training: m.training ? 1 : 0,
      opKinds: JSON.stringify(m.opKinds),
      cores: JSON.stringify(m.cores),
      createdMs: nowMs,
    });
    return this.require(m.id);
  }

  get(id: string): ModelRecord | undefined {
    const r = this.#get.get(id);
    return r && toModel(r);
  }

  require(id: string): ModelRecord {
    const m = this.get(id);
    if (!m) throw new StoreError('NOT_FOUND', `model ${id} not found`);
    return m;
  }

  byObjectId(objectId: string): ModelRecord | undefined {
    const r = this.#byObject.get(objectId);
    return r && toModel(r);
  }

  /** The newest model of the same name with a lower version: the default target of a rollback. */
  previousOf(m: ModelRecord): ModelRecord | undefined {
    const r = this.#previous.get(m.name, m.version);
    return r && toModel(r);
  }

  list(page: PageRequest & { name?: string | undefined }): Page<ModelRecord> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    const rows = this.#list.all({ after, name: page.name ?? null, limit: page.limit + 1 });
    return toPage(rows, page.limit, toModel, (r) => [r.id]);
  }
}
