/**
 * The main thread's side of data-parallel training: starts `size - 1` worker threads, hands each its
 * slice of every batch through shared memory, and sums their gradients (in rank order, so a given
 * seed and thread count always gives the same numbers).
 */
import { Worker } from 'node:worker_threads';
import { collectiveBytes, SharedCollective } from '../../engine/collective.js';
import type { Graph } from '../../graph/types.js';
import { TrainError } from '../errors.js';
import {
  CMD_STEP,
  CMD_STOP,
  CTRL,
  type Exchange,
  type ExchangeSizes,
  exchangeBytes,
  exchangeViews,
  type WorkerInit,
} from './layout.js';

export interface PoolSpec {
  readonly graph: Graph;
  /** Shards including the main thread (>= 2). */
  readonly size: number;
  readonly sizes: ExchangeSizes;
  /** Running-statistics floats (BatchNorm buffers). */
  readonly buffers: number;
  readonly numClasses: number;
  readonly seed: number;
  /** Longest allReduce any op performs. */
  readonly reduceCapacity: number;
  /** Give up if the workers are not ready after this long. */
  readonly startTimeoutMs?: number;
}

const SPINS = 20_000;

export class ShardPool {
  readonly collective: SharedCollective;
  private readonly exchanges: Exchange[];
  private readonly params: Float32Array;
  private readonly buffers: Float32Array;
  private closed = false;
  /** The last error a worker threw after start-up (reported by `collect`). */
  lastError: unknown = null;

  private constructor(
    readonly size: number,
    collectiveBuf: SharedArrayBuffer,
    exchangeBufs: SharedArrayBuffer[],
    stateBuf: SharedArrayBuffer,
    spec: PoolSpec,
    private readonly workers: Worker[],
  ) {
    this.collective = new SharedCollective(collectiveBuf, 0, size, spec.reduceCapacity);
    this.exchanges = exchangeBufs.map((b) => exchangeViews(b, spec.sizes));
    this.params = new Float32Array(stateBuf, 0, spec.sizes.params);
    this.buffers = new Float32Array(stateBuf, spec.sizes.params * 4, spec.buffers);
  }

  /** Start the workers and wait until each compiled its plan; throws TrainError('WORKERS_FAILED'). */
  static async start(spec: PoolSpec): Promise<ShardPool> {
    const collectiveBuf = new SharedArrayBuffer(collectiveBytes(spec.size, spec.reduceCapacity));
    const stateBuf = new SharedArrayBuffer((spec.sizes.params + spec.buffers) * 4);
    const exchangeBufs = Array.from(
      { length: spec.size - 1 },
      () => new SharedArrayBuffer(exchangeBytes(spec.sizes)),
    );
    const entry = new URL(`./worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
    const workers: Worker[] = [];
    const pool = new ShardPool(spec.size, collectiveBuf, exchangeBufs, stateBuf, spec, workers);
    try {
      const ready = exchangeBufs.map((exchange, i) => {
        const init: WorkerInit = {
          graph: spec.graph,
          rank: i + 1,
          size: spec.size,
          seed: spec.seed,
          numClasses: spec.numClasses,
          sizes: spec.sizes,
          buffers: spec.buffers,
          reduceCapacity: spec.reduceCapacity,
          collective: collectiveBuf,
          exchange,
          state: stateBuf,
        };
        const worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: { entry, init } });
        workers.push(worker);
        return waitReady(worker, pool.exchanges[i]!.ctrl, spec.startTimeoutMs ?? 60_000);
      });
      await Promise.all(ready);
    } catch (cause) {
      await pool.close();
      throw new TrainError('WORKERS_FAILED', `could not start training threads: ${String(cause)}`, {
        cause,
      });
    }
    for (const w of workers) {
      w.unref(); // a forgotten close() must not keep the process alive
      // a failure after start-up surfaces as a TrainError from collect() (or the collective)
      w.on('error', (err) => {
        pool.lastError = err;
      });
    }
    return pool;
  }

  /** Slice `rank` (>= 1) of the next batch: fill `input` and `labels` before `dispatch`. */
  exchange(rank: number): Exchange {
    return this.exchanges[rank - 1]!;
  }

  /** Publish the parameters and start every worker on its slice (`counts[r]` samples of `total`). */
  dispatch(
    counts: readonly number[],
    total: number,
    step: number,
    params: Float32Array,
    buffers: Float32Array,
  ): void {
    this.params.set(params);
    this.buffers.set(buffers);
    this.exchanges.forEach((ex, i) => {
      const c = ex.ctrl;
      Atomics.store(c, CTRL.CMD, CMD_STEP);
      Atomics.store(c, CTRL.N, counts[i + 1] ?? 0);
      Atomics.store(c, CTRL.TOTAL, total);
      Atomics.store(c, CTRL.STEP, step);
      Atomics.add(c, CTRL.SEQ, 1);
      Atomics.notify(c, CTRL.SEQ);
    });
  }

  /** Wait for the workers, add their gradients to `grads` (rank order); returns their Σloss and hits. */
  collect(grads: Float32Array): { lossSum: number; correct: number } {
    let lossSum = 0;
    let correct = 0;
    for (const ex of this.exchanges) {
      const c = ex.ctrl;
      const seq = Atomics.load(c, CTRL.SEQ);
      let spins = 0;
      for (;;) {
        const done = Atomics.load(c, CTRL.DONE);
        if (done === seq) break;
        if (done === -1) {
          throw new TrainError('WORKERS_FAILED', 'a training thread failed', { cause: this.lastError });
        }
        if (spins++ < SPINS) continue;
        Atomics.wait(c, CTRL.DONE, done, 50);
      }
      const g = ex.grads;
      for (let i = 0; i < grads.length; i++) grads[i]! += g[i]!;
      lossSum += ex.stats[0]!;
      correct += ex.stats[1]!;
    }
    return { lossSum, correct };
  }

  /** Stop and join the workers (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ex of this.exchanges) {
      Atomics.store(ex.ctrl, CTRL.CMD, CMD_STOP);
      Atomics.add(ex.ctrl, CTRL.SEQ, 1);
      Atomics.notify(ex.ctrl, CTRL.SEQ);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function waitReady(worker: Worker, ctrl: Int32Array, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
    const poll = setInterval(() => {
      const r = Atomics.load(ctrl, CTRL.READY);
      if (r === 0) return;
      clearInterval(poll);
      clearTimeout(timer);
      if (r === 1) resolve();
      else reject(new Error('the worker failed while compiling its plan'));
    }, 5);
    worker.once('error', (err) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`the worker exited with code ${code}`));
    });
  });
}
