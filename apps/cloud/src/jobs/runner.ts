/**
 * The job runner: queued jobs run one at a time (configurable) in worker threads, each step a `tinyfleet`
 * command in the job's folder `DIR/ID/`. Progress lines go to the store (throttled) and to the live bus
 * (`job` events on the SSE stream); cancel terminates the worker. On success the `.tfm` artifacts the job
 * wrote are verified, signed and registered as models (ready for an OTA campaign) when asked.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OtaService } from '../ota/index.js';
import type { LiveBus } from '../store/live.js';
import type { Job, JobProgress, JobRepo, JobStep } from '../store/repo/jobs.js';
import { lineFraction, parseJobRef, validateSteps } from './steps.js';
import type { StepMessage, StepRequest } from './worker.js';

export interface JobRunnerOptions {
  jobs: JobRepo;
  bus: LiveBus;
  /** Folder of the job folders. */
  dir: string;
  /** Registers produced artifacts; absent: `register` jobs fail at the end with a clear error. */
  ota?: OtaService | undefined;
  /** Jobs running at once (1). */
  concurrency?: number;
  /** Minimum time between two stored progress updates of a job (250 ms). */
  progressEveryMs?: number;
  env?: Record<string, string | undefined>;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

export interface JobInputSpec {
  name: string;
  steps: JobStep[];
  register?: boolean | undefined;
}

class Cancelled extends Error {}

interface RunState {
  worker: Worker | undefined;
  cancelled: boolean;
  done: Promise<void>;
}

const WORKER_BOOT = new URL('../ml/train/parallel/boot.mjs', import.meta.url);
const WORKER_ENTRY = new URL(`./worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url)
  .href;

export class JobRunner {
  readonly #o: JobRunnerOptions;
  readonly #running = new Map<string, RunState>();
  #stopped = false;

  constructor(o: JobRunnerOptions) {
    this.#o = o;
    mkdirSync(o.dir, { recursive: true });
  }

  /** Mark jobs of a previous process that were running as failed, then run what is queued. */
  start(): void {
    const n = this.#o.jobs.failInterrupted();
    if (n > 0) this.#o.log?.('warn', `${n} job(s) were running when the cloud stopped: marked failed`);
    this.#pump();
  }

  /** Validate (throws JobSpecError / UsageError), store as queued, and run when a slot is free. */
  submit(input: JobInputSpec): Job {
    validateSteps(input.steps);
    for (const s of input.steps)
      for (const a of s.args) {
        const ref = parseJobRef(a);
        if (ref && !this.#o.jobs.get(ref.jobId)) throw new RangeError(`${a}: job ${ref.jobId} not found`);
      }
    const job = this.#o.jobs.create({
      name: input.name,
      steps: input.steps,
      register: input.register ?? false,
    });
    this.#emit(job);
    this.#pump();
    return job;
  }

  /** Cancel a queued or running job; an ended job is returned unchanged. */
  cancel(id: string): Job {
    const job = this.#o.jobs.require(id);
    if (job.status === 'queued') {
      this.#finish(job.id, { status: 'cancelled', results: [], files: [], modelIds: [], error: null });
    } else if (job.status === 'running') {
      const r = this.#running.get(id);
      if (r) {
        r.cancelled = true;
        void r.worker?.terminate();
      }
    }
    return this.#o.jobs.require(id);
  }

  /** Stop: running jobs are terminated and recorded as failed ("the cloud stopped"). */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running = [...this.#running.values()];
    for (const r of running) await r.worker?.terminate();
    await Promise.all(running.map((r) => r.done));
  }

  folder(id: string): string {
    return join(this.#o.dir, id);
  }

  #pump(): void {
    if (this.#stopped) return;
    const free = (this.#o.concurrency ?? 1) - this.#running.size;
    if (free <= 0) return;
    for (const job of this.#o.jobs.queued().slice(0, free)) {
      if (!this.#o.jobs.start(job.id)) continue;
      const state: RunState = { worker: undefined, cancelled: false, done: Promise.resolve() };
      this.#running.set(job.id, state);
      state.done = this.#run(this.#o.jobs.require(job.id), state).finally(() => {
        this.#running.delete(job.id);
        this.#pump();
      });
    }
  }

  async #run(job: Job, state: RunState): Promise<void> {
    const dir = this.folder(job.id);
    const results: unknown[] = [];
    this.#emit(job);
    try {
      mkdirSync(dir, { recursive: true });
      for (const [i, step] of job.steps.entries()) {
        const argv = [step.command, ...step.args.map((a) => this.#localise(a, dir)), '--json'];
        results.push(await this.#step(job, i, argv, dir, state));
      }
      const files = listFiles(dir);
      const modelIds = job.register ? this.#register(dir, files) : [];
      this.#o.jobs.setProgress(job.id, { ...this.#o.jobs.require(job.id).progress, fraction: 1 });
      this.#finish(job.id, { status: 'succeeded', results, files, modelIds, error: null });
    } catch (e) {
      const cancelled = e instanceof Cancelled;
      const status = cancelled ? 'cancelled' : 'failed';
      const error = cancelled
        ? null
        : this.#stopped
          ? 'the cloud stopped while the job was running'
          : String((e as Error).message ?? e);
      this.#finish(job.id, {
        status,
        results,
        files: existsSync(dir) ? listFiles(dir) : [],
        modelIds: [],
        error,
      });
    }
  }

  /** `job:ID/NAME` -> NAME, copying the other job's file into this job's folder. */
  #localise(arg: string, dir: string): string {
    const ref = parseJobRef(arg);
    if (!ref) return arg;
    const src = join(this.folder(ref.jobId), ref.file);
    if (!existsSync(src)) throw new Error(`${arg}: job ${ref.jobId} has no file ${ref.file}`);
    copyFileSync(src, join(dir, ref.file));
    return ref.file;
  }

  #step(job: Job, index: number, argv: string[], cwd: string, state: RunState): Promise<unknown> {
    // progress lines on stderr even with --json (apps/cloud/src/cli/io.ts showProgress)
    const env = { ...(this.#o.env ?? process.env), TINYFLEET_PROGRESS: 'lines' };
    const init: StepRequest = { argv, cwd, env };
    const worker = new Worker(WORKER_BOOT, { workerData: { entry: WORKER_ENTRY, init } });
    state.worker = worker;
    let last = 0;
    let progress: JobProgress = {
      step: index,
      steps: job.steps.length,
      line: null,
      fraction: index / job.steps.length,
    };
    const every = this.#o.progressEveryMs ?? 250;
    const flush = () => {
      this.#o.jobs.setProgress(job.id, progress);
      this.#o.bus.emit({
        type: 'job',
        jobId: job.id,
        name: job.name,
        status: 'running',
        progress,
        tsMs: Date.now(),
      });
    };
    flush();
    return new Promise((resolve, reject) => {
      let done: Extract<StepMessage, { type: 'done' }> | undefined;
      worker.on('message', (m: StepMessage) => {
        if (m.type === 'done') {
          done = m;
          return;
        }
        const f = lineFraction(m.line);
        progress = {
          ...progress,
          line: m.line,
          fraction: f === null ? progress.fraction : (index + f) / job.steps.length,
        };
        const now = Date.now();
        if (now - last >= every) {
          last = now;
          flush();
        }
      });
      worker.on('error', (e) => reject(e));
      worker.on('exit', () => {
        flush();
        if (state.cancelled) return reject(new Cancelled());
        if (!done)
          return reject(
            new Error(
              this.#stopped
                ? 'the cloud stopped while the job was running'
                : `step ${index + 1} (${argv[0]}) ended without a result`,
            ),
          );
        if (done.code !== 0) {
          const why = done.stderrTail.slice(-3).join(' | ');
          return reject(new Error(`step ${index + 1} (${argv[0]}) exited with code ${done.code}: ${why}`));
        }
        resolve(parseJson(done.stdout));
      });
    });
  }

  #register(dir: string, files: string[]): string[] {
    const ota = this.#o.ota;
    const artifacts = files.filter((f) => f.endsWith('.tfm'));
    if (artifacts.length === 0) return [];
    if (!ota) throw new Error('cannot register models: OTA is not configured on this server');
    return artifacts.map(
      (f) => ota.upload(new Uint8Array(readFileSync(join(dir, f))), { sign: true }).model.id,
    );
  }

  #finish(id: string, o: Parameters<JobRepo['finish']>[1]): void {
    if (!this.#o.jobs.finish(id, o)) return;
    const job = this.#o.jobs.require(id);
    this.#o.log?.(
      o.status === 'failed' ? 'warn' : 'info',
      `job ${id} ${o.status}${o.error ? `: ${o.error}` : ''}`,
    );
    this.#emit(job);
  }

  #emit(job: Job): void {
    this.#o.bus.emit({
      type: 'job',
      jobId: job.id,
      name: job.name,
      status: job.status,
      progress: job.progress,
      tsMs: Date.now(),
    });
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** The command's `--json` output: one JSON document (the last non-empty line when several are printed). */
function parseJson(stdout: string): unknown {
  const text = stdout.trim();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    const last =
      text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .pop() ?? '';
    try {
      return JSON.parse(last);
    } catch {
      return { stdout: text.slice(0, 4096) };
    }
  }
}
