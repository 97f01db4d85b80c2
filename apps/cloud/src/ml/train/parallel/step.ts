/**
 * One training step's forward / backward over a batch, on one thread or split across `threads`
 * data-parallel shards (the main thread is shard 0). The result is the mean-loss gradient of the whole
 * batch in `plan.grads`, whatever the thread count; the optimizer update stays with the caller.
 *
 * Determinism: for a given seed and thread count the numbers are identical run to run (slices are
 * fixed, partial sums are added in rank order). Different thread counts differ by float rounding only,
 * except dropout, whose masks are drawn per shard.
 */
import type { DataSplit } from '../../data/types.js';
import { Plan } from '../../engine/plan.js';
import { type Graph, shapeSize } from '../../graph/types.js';
import { gatherInto } from '../batches.js';
import { TrainError } from '../errors.js';
import { softmaxCrossEntropy } from '../loss.js';
import { ShardPool } from './pool.js';

export interface StepResult {
  /** Σ over the batch of the per-sample loss. */
  readonly lossSum: number;
  readonly correct: number;
}

/** Samples per shard: the first `n % shards` shards take one more. */
export function shardCounts(n: number, shards: number): number[] {
  const base = Math.floor(n / shards);
  return Array.from({ length: shards }, (_, r) => base + (r < n % shards ? 1 : 0));
}

/** The longest BatchNorm reduction in a graph ([Σ | Σ² | count] per channel). */
function reduceCapacity(plan: Plan): number {
  let c = 0;
  for (const node of plan.graph.nodes) {
    if (node.op !== 'batchNorm') continue;
    const s = plan.shapes.get(node.inputs[0]!)!;
    c = Math.max(c, s[s.length - 1]!);
  }
  return 2 * c + 1;
}

export class TrainStep {
  private readonly labels: Int32Array;
  private readonly sampleSize: number;
  private readonly k: number;

  private constructor(
    readonly plan: Plan,
    private readonly pool: ShardPool | null,
    readonly batch: number,
  ) {
    this.labels = new Int32Array(plan.options.batch);
    this.sampleSize = shapeSize(plan.graph.inputs[0]!.shape);
    this.k = shapeSize(plan.shapes.get(plan.logits)!);
  }

  /** Shards actually in use (1 when threads were not requested or could not start). */
  get threads(): number {
    return this.pool?.size ?? 1;
  }

  /**
   * A step for batches of up to `batch` samples over `threads` shards. Where worker threads cannot
   * start, falls back to one thread and reports why in `fallback`.
   */
  static async create(
    graph: Graph,
    o: { batch: number; seed: number; threads: number; numClasses: number },
  ): Promise<{ step: TrainStep; fallback: string | null }> {
    const threads = Math.max(1, Math.min(Math.floor(o.threads), o.batch));
    if (threads === 1) return { step: TrainStep.single(graph, o), fallback: null };
    const capacity = Math.ceil(o.batch / threads);
    let pool: ShardPool;
    try {
      const probe = new Plan(graph, { batch: 1, training: true, seed: o.seed });
      pool = await ShardPool.start({
        graph,
        size: threads,
        sizes: { capacity, sampleSize: shapeSize(graph.inputs[0]!.shape), params: probe.params.length },
        buffers: probe.buffers.length,
        numClasses: o.numClasses,
        seed: o.seed,
        reduceCapacity: reduceCapacity(probe),
      });
    } catch (err) {
      return { step: TrainStep.single(graph, o), fallback: err instanceof Error ? err.message : String(err) };
    }
    const plan = new Plan(graph, {
      batch: capacity,
      training: true,
      seed: o.seed,
      collective: pool.collective,
    });
    return { step: new TrainStep(plan, pool, o.batch), fallback: null };
  }

  /** A single-threaded step (synchronous). */
  static single(graph: Graph, o: { batch: number; seed: number }): TrainStep {
    return new TrainStep(new Plan(graph, { batch: o.batch, training: true, seed: o.seed }), null, o.batch);
  }

  /**
   * Forward and backward on samples `indices[from..from+n)` of `split`: `plan.grads` receives the
   * gradient of the batch's mean loss; `plan.buffers` the updated running statistics.
   */
  run(split: DataSplit, indices: ArrayLike<number>, from: number, n: number, step: number): StepResult {
    if (n < 1 || n > this.batch)
      throw new TrainError('BAD_CONFIG', `batch of ${n} outside [1, ${this.batch}]`);
    const { plan, pool, k } = this;
    const counts = shardCounts(n, this.threads);
    const n0 = counts[0]!;
    const input = plan.act(plan.inputName).f32;
    gatherInto(input, this.sampleSize, split, indices, from, n0, this.labels, k);
    if (pool) {
      let off = from + n0;
      for (let r = 1; r < counts.length; r++) {
        const ex = pool.exchange(r);
        gatherInto(ex.input, this.sampleSize, split, indices, off, counts[r]!, ex.labels, k);
        off += counts[r]!;
      }
      pool.dispatch(counts, n, step, plan.params.f32, plan.buffers.f32);
    }
    plan.forward(n0, true, step);
    const d = plan.grad(plan.logits)!.f32;
    const r = softmaxCrossEntropy(plan.act(plan.logits).f32, this.labels, n0, k, d);
    if (n0 !== n) for (let i = 0; i < n0 * k; i++) d[i]! *= n0 / n;
    plan.backward(n0);
    let lossSum = r.loss * n0;
    let correct = r.correct;
    if (pool) {
      const w = pool.collect(plan.grads.f32);
      lossSum += w.lossSum;
      correct += w.correct;
    }
    return { lossSum, correct };
  }

  /** Stop the worker threads (idempotent; a single-threaded step has none). */
  async close(): Promise<void> {
    await this.pool?.close();
  }
}
