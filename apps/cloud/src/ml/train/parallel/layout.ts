/**
 * The shared memory between the main thread (rank 0) and one worker (rank r): a control block, the
 * worker's slice of the batch, its gradients, and the step's loss statistics. Parameters and running
 * statistics live in one block shared by all workers (written by the main thread before each step).
 */
import type { Graph } from '../../graph/types.js';

/** Int32 indices of the control block. */
export const CTRL = {
  /** Incremented by the main thread to start a command. */
  SEQ: 0,
  /** Set to SEQ by the worker when it finished that command. */
  DONE: 1,
  /** 0 = step, 1 = stop. */
  CMD: 2,
  /** Samples in this worker's slice (may be 0). */
  N: 3,
  /** Optimizer step (seeds dropout). */
  STEP: 4,
  /** Samples in the whole batch (scales the loss gradient). */
  TOTAL: 5,
  /** 1 once the worker compiled its plan; -1 if it failed. */
  READY: 6,
} as const;
export const CTRL_INTS = 16;
export const CMD_STEP = 0;
export const CMD_STOP = 1;

/** Typed views of one worker's exchange buffer. */
export interface Exchange {
  readonly ctrl: Int32Array;
  /** [Σ loss over the slice, correct predictions]. */
  readonly stats: Float64Array;
  readonly input: Float32Array;
  readonly labels: Int32Array;
  readonly grads: Float32Array;
}

export interface ExchangeSizes {
  /** Samples per shard. */
  readonly capacity: number;
  /** Floats per sample. */
  readonly sampleSize: number;
  /** Trainable parameters. */
  readonly params: number;
}

const align = (bytes: number): number => (bytes + 63) & ~63;

function offsets(s: ExchangeSizes): {
  stats: number;
  input: number;
  labels: number;
  grads: number;
  end: number;
} {
  const stats = align(CTRL_INTS * 4);
  const input = align(stats + 16);
  const labels = align(input + s.capacity * s.sampleSize * 4);
  const grads = align(labels + s.capacity * 4);
  return { stats, input, labels, grads, end: align(grads + s.params * 4) };
}

export function exchangeBytes(s: ExchangeSizes): number {
  return offsets(s).end;
}

export function exchangeViews(buf: SharedArrayBuffer, s: ExchangeSizes): Exchange {
  const o = offsets(s);
  return {
    ctrl: new Int32Array(buf, 0, CTRL_INTS),
    stats: new Float64Array(buf, o.stats, 2),
    input: new Float32Array(buf, o.input, s.capacity * s.sampleSize),
    labels: new Int32Array(buf, o.labels, s.capacity),
    grads: new Float32Array(buf, o.grads, s.params),
  };
}

/** What a worker receives at start-up (structured-cloned; the buffers are shared, not copied). */
export interface WorkerInit {
  /** The model as JSON-safe parts: the graph with its parameters. */
  readonly graph: Graph;
  readonly rank: number;
  readonly size: number;
  readonly seed: number;
  readonly numClasses: number;
  readonly sizes: ExchangeSizes;
  readonly buffers: number;
  readonly reduceCapacity: number;
  readonly collective: SharedArrayBuffer;
  readonly exchange: SharedArrayBuffer;
  /** [params | buffers] as float32. */
  readonly state: SharedArrayBuffer;
}
