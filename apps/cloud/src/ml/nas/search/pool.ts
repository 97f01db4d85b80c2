/**
 * A pool of scoring workers (worker_threads): each compiles and scores candidates independently, so
 * N workers score ~N times as many candidates per second on N idle cores. Results equal those of
 * `evaluateCandidate` in this thread (the evaluation is a pure function of genome and options).
 * Genomes are handed out one at a time as workers free up (candidates differ widely in cost).
 */
import type { Worker } from 'node:worker_threads';
import { NasError } from '../errors.js';
import type { Genome } from '../space/genome.js';
import { startWorkers, workerEntry } from '../workers.js';
import type { BatchEvaluator, Candidate, EvaluatorOptions } from './candidate.js';

type Reply = { id: number; candidate: Candidate } | { id: number; error: string };

interface Job {
  readonly genome: Genome;
  readonly resolve: (c: Candidate) => void;
  readonly reject: (e: Error) => void;
}

export class ScoringPool implements BatchEvaluator {
  private readonly queue: { id: number; job: Job }[] = [];
  private readonly running = new Map<Worker, { id: number; job: Job }>();
  private readonly idle: Worker[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(private readonly workers: Worker[]) {}

  /** Start `size` workers and wait until each has loaded the scoring code. */
  static async start(o: EvaluatorOptions, size: number): Promise<ScoringPool> {
    if (!Number.isInteger(size) || size < 1) throw new NasError('BAD_OPTIONS', `pool size ${size}`);
    let workers: Worker[];
    try {
      workers = await startWorkers(workerEntry('worker', import.meta.url), size, o);
    } catch (cause) {
      throw new NasError('PROXY_FAILED', `could not start scoring workers: ${String(cause)}`, { cause });
    }
    const pool = new ScoringPool(workers);
    for (const w of workers) {
      w.unref();
      w.on('message', (m: Reply) => pool.onReply(w, m));
      w.on('error', (e) => pool.onFailure(w, e));
      pool.idle.push(w);
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  private onReply(w: Worker, m: Reply): void {
    const cur = this.running.get(w);
    this.running.delete(w);
    this.idle.push(w);
    if (cur && cur.id === m.id) {
      if ('error' in m) cur.job.reject(new NasError('PROXY_FAILED', m.error));
      else cur.job.resolve(m.candidate);
    }
    this.pump();
  }

  /** A worker that dies fails its job and everything queued; the pool refuses further work. */
  private onFailure(w: Worker, e: Error): void {
    this.closed = true;
    const cur = this.running.get(w);
    this.running.delete(w);
    cur?.job.reject(new NasError('PROXY_FAILED', `scoring worker died: ${e.message}`, { cause: e }));
    for (const q of this.queue.splice(0)) q.job.reject(new NasError('PROXY_FAILED', 'scoring pool failed'));
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const next = this.queue.shift()!;
      this.running.set(w, next);
      w.postMessage({ id: next.id, genome: next.job.genome });
    }
  }

  evaluate(genome: Genome): Promise<Candidate> {
    if (this.closed) return Promise.reject(new NasError('BAD_OPTIONS', 'scoring pool is closed'));
    return new Promise<Candidate>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job: { genome, resolve, reject } });
      this.pump();
    });
  }

  evaluateMany(genomes: readonly Genome[]): Promise<Candidate[]> {
    return Promise.all(genomes.map((g) => this.evaluate(g)));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
