/**
 * Integer accuracy of a quantized graph on a whole test split, in worker threads: each worker runs the
 * fast interpreter (fast.ts: the reference interpreter's numbers, 2.5x faster on the best NAS model,
 * see the NAS README) on chunks of uint8 inputs handed out as workers free up, so the predictions are exactly those
 * of `evaluateQuantized` (tests check it) and N workers take ~1/N of the time on N idle cores. The
 * inputs are the same uint8 samples (`quantizedInput`).
 */
import type { Worker } from 'node:worker_threads';
import type { DataSplit } from '../../data/types.js';
import { evaluateQuantized, type QuantEval, quantizedInput } from '../../quant/evaluate.js';
import { type QGraph, size } from '../../quant/types.js';
import { NasError } from '../errors.js';
import { startWorkers, workerEntry } from '../workers.js';
import type { QevalReply } from './worker.js';

/** Samples per chunk handed to a worker. */
const CHUNK = 250;

export class QuantEvalPool {
  private closed = false;

  private constructor(private readonly workers: Worker[]) {}

  /** Start `size` workers (0: evaluate in this thread) and wait until each has loaded the interpreter. */
  static async start(size: number): Promise<QuantEvalPool> {
    if (!Number.isInteger(size) || size < 0) throw new NasError('BAD_OPTIONS', `pool size ${size}`);
    let workers: Worker[];
    try {
      workers = await startWorkers(workerEntry('worker', import.meta.url), size);
    } catch (cause) {
      throw new NasError('EVAL_FAILED', `could not start evaluation workers: ${String(cause)}`, { cause });
    }
    const pool = new QuantEvalPool(workers);
    for (const w of workers) w.unref();
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Accuracy of `graph` on the first `limit` samples of `split` (all by default). One call at a time. */
  async evaluate(graph: QGraph, split: DataSplit, limit?: number): Promise<QuantEval> {
    if (this.closed) throw new NasError('BAD_OPTIONS', 'evaluation pool is closed');
    if (this.workers.length === 0) return evaluateQuantized(graph, split, limit);
    const n = Math.min(limit ?? split.size, split.size);
    const inV = graph.values.get(graph.input);
    if (!inV) throw new NasError('EVAL_FAILED', `graph has no input value "${graph.input}"`);
    const inSize = size(inV.shape);
    const predictions = new Int32Array(n);
    const chunks: number[] = [];
    for (let from = 0; from < n; from += CHUNK) chunks.push(from);
    for (const w of this.workers) w.postMessage({ kind: 'graph', graph });
    await Promise.all(
      this.workers.map(async (w) => {
        for (let from = chunks.shift(); from !== undefined; from = chunks.shift()) {
          const count = Math.min(CHUNK, n - from);
          const inputs = new Uint8Array(count * inSize);
          for (let i = 0; i < count; i++)
            inputs.set(quantizedInput(split, from + i, inV.q, inSize), i * inSize);
          predictions.set(await this.run(w, from, inputs, count), from);
        }
      }),
    );
    let correct = 0;
    for (let i = 0; i < n; i++) if (predictions[i] === split.get(i).y) correct++;
    return { accuracy: n > 0 ? correct / n : 0, samples: n, predictions };
  }

  private run(w: Worker, id: number, inputs: Uint8Array, n: number): Promise<Int32Array> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: QevalReply): void => {
        if (m.id !== id) return;
        w.off('message', onMessage);
        w.off('error', onError);
        if ('error' in m) reject(new NasError('EVAL_FAILED', m.error));
        else resolve(m.predictions);
      };
      const onError = (e: Error): void => {
        w.off('message', onMessage);
        this.closed = true;
        reject(new NasError('EVAL_FAILED', `evaluation worker died: ${e.message}`, { cause: e }));
      };
      w.on('message', onMessage);
      w.once('error', onError);
      w.postMessage({ kind: 'chunk', id, inputs, n }, [inputs.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
