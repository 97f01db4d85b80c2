/**
 * Cloud jobs (NAS, compression, training, quantization runs): what was asked, where it is, what it
 * produced. The runner (apps/cloud/src/jobs) owns the transitions; this repository only records them.
 */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { Page, PageRequest } from '../types.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** One CLI command of the job, run in the job's folder (`tinyfleet COMMAND ARGS... --json`). */
export interface JobStep {
  command: string;
  args: string[];
}

export interface JobProgress {
  /** 0-based index of the step running (or last run). */
  step: number;
  steps: number;
  /** The step's latest progress line (what the CLI prints on stderr). */
  line: string | null;
  /** Fraction of the whole job done, when the step says (`i/n` in its line), else null. */
  fraction: number | null;
}

export interface Job {
  id: string;
  name: string;
  steps: JobStep[];
  /** Register the `.tfm` artifacts the job writes in the model registry (signed), under `name`. */
  register: boolean;
  status: JobStatus;
  progress: JobProgress;
  /** Per step, the JSON the command printed (null for a step that printed none). */
  results: unknown[];
  /** Files the job wrote in its folder, ascending. */
  files: string[];
  /** Registered model ids, in file order. */
  modelIds: string[];
  error: string | null;
  createdMs: number;
  startedMs: number | null;
  finishedMs: number | null;
}

interface Row {
  id: string;
  name: string;
  steps_json: string;
  register: number;
  status: JobStatus;
  progress_json: string;
  results_json: string;
  files_json: string;
  model_ids_json: string;
  error: string | null;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
}

const toJob = (r: Row): Job => ({
  id: r.id,
  name: r.name,
  steps: parseJsonColumn<JobStep[]>(r.steps_json, 'job steps'),
  register: r.register === 1,
  status: r.status,
  progress: parseJsonColumn<JobProgress>(r.progress_json, 'job progress'),
  results: parseJsonColumn<unknown[]>(r.results_json, 'job results'),
  files: parseJsonColumn<string[]>(r.files_json, 'job files'),
  modelIds: parseJsonColumn<string[]>(r.model_ids_json, 'job model ids'),
  error: r.error,
  createdMs: r.created_ms,
  startedMs: r.started_ms,
  finishedMs: r.finished_ms,
});

export interface JobOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  results: unknown[];
  files: string[];
  modelIds: string[];
  error: string | null;
}

export class JobRepo {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #start;
  readonly #progress;
  readonly #finish;
  readonly #interrupted;

  constructor(db: Db) {
    this.#insert = db.prepare<{
      id: string;
      name: string;
      steps: string;
      reg: number;
      p: string;
      now: number;
    }>(
      `INSERT INTO jobs (id, name, steps_json, register, status, progress_json, results_json, files_json,
         model_ids_json, created_ms) VALUES (@id, @name, @steps, @reg, 'queued', @p, '[]', '[]', '[]', @now)`,
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM jobs WHERE id = ?');
    this.#list = db.prepare<{ after: string; status: string | null; limit: number }, Row>(
      `SELECT * FROM jobs WHERE id > @after AND (@status IS NULL OR status = @status) ORDER BY id LIMIT @limit`,
    );
    this.#start = db.prepare<[number, string]>(
      `UPDATE jobs SET status = 'running', started_ms = ? WHERE id = ? AND status = 'queued'`,
    );
    this.#progress = db.prepare<[string, string]>(
      `UPDATE jobs SET progress_json = ? WHERE id = ? AND status = 'running'`,
    );
    this.#finish = db.prepare<{
      id: string;
      status: string;
      results: string;
      files: string;
      models: string;
      error: string | null;
      now: number;
    }>(
      `UPDATE jobs SET status = @status, results_json = @results, files_json = @files,
         model_ids_json = @models, error = @error, finished_ms = @now
       WHERE id = @id AND status IN ('queued', 'running')`,
    );
    this.#interrupted = db.prepare<[number]>(
      `UPDATE jobs SET status = 'failed', error = 'the cloud stopped while the job was running',
         finished_ms = ? WHERE status = 'running'`,
    );
  }

  create(input: { name: string; steps: JobStep[]; register: boolean }, nowMs = Date.now()): Job {
    const id = newId('job', nowMs);
    const progress: JobProgress = { step: 0, steps: input.steps.length, line: null, fraction: 0 };
    this.#insert.run({
      id,
      name: input.name,
      steps: JSON.stringify(input.steps),
      reg: input.register ? 1 : 0,
      p: JSON.stringify(progress),
      now: nowMs,
    });
    return this.require(id);
  }

  get(id: string): Job | undefined {
    const r = this.#get.get(id);
    return r && toJob(r);
  }

  require(id: string): Job {
    const j = this.get(id);
    if (!j) throw new StoreError('NOT_FOUND', `job ${id} not found`);
    return j;
  }

  list(page: PageRequest & { status?: JobStatus | undefined }): Page<Job> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    const rows = this.#list.all({ after, status: page.status ?? null, limit: page.limit + 1 });
    return toPage(rows, page.limit, toJob, (r) => [r.id]);
  }

  /** Queued jobs, oldest first (what the runner picks up after a restart). */
  queued(): Job[] {
    return this.#list.all({ after: '', status: 'queued', limit: 10_000 }).map(toJob);
  }

  /** queued -> running; false when the job is no longer queued (cancelled meanwhile). */
  start(id: string, nowMs = Date.now()): boolean {
    return this.#start.run(nowMs, id).changes === 1;
  }

  setProgress(id: string, p: JobProgress): void {
    this.#progress.run(JSON.stringify(p), id);
  }

  /** Record the end; false when the job had already ended (a second finish is ignored). */
  finish(id: string, o: JobOutcome, nowMs = Date.now()): boolean {
    const args = {
      id,
      status: o.status,
      results: JSON.stringify(o.results),
      files: JSON.stringify(o.files),
      models: JSON.stringify(o.modelIds),
      error: o.error,
      now: nowMs,
    };
    return this.#finish.run(args).changes === 1;
  }

  /** At start-up: jobs left `running` by a stopped process failed (their worker died with it). */
  failInterrupted(nowMs = Date.now()): number {
    return this.#interrupted.run(nowMs).changes;
  }
}
