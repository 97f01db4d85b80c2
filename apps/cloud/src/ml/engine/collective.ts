/**
 * Collective operations between the shards of a data-parallel step (one shard per thread). Every shard
 * runs the same graph on its slice of the batch; ops that need whole-batch quantities (BatchNorm
 * statistics) sum their partial results with `allReduce`, which returns bit-identical sums on every
 * shard because the partials are always added in rank order.
 */

export interface Collective {
  /** This shard's index, 0 = the main thread. */
  readonly rank: number;
  /** Number of shards. */
  readonly size: number;
  /** Replace `values[0..len)` by the sum over all shards (rank order), on every shard. */
  allReduce(values: Float64Array, len: number): void;
}

/** A single shard: nothing to reduce. */
export const LOCAL: Collective = { rank: 0, size: 1, allReduce() {} };

/** Thrown on the waiting side when another shard failed or stopped answering. */
export class CollectiveError extends Error {
  override readonly name = 'CollectiveError';
  constructor(
    message: string,
    readonly code: 'ABORTED' | 'TIMEOUT' | 'TOO_LONG',
  ) {
    super(message);
  }
}

const COUNT = 0;
const GEN = 1;
const ABORT = 2;
const CONTROL_INTS = 4;
const SPINS = 4000;

/** Bytes of shared memory a `SharedCollective` of `size` shards and `capacity` values needs. */
export function collectiveBytes(size: number, capacity: number): number {
  return CONTROL_INTS * 4 + 2 * size * capacity * 8;
}

/**
 * `allReduce` and a barrier over one SharedArrayBuffer, for shards on different threads. Slots are
 * double-buffered (alternating per call), so one barrier per reduction suffices: a shard cannot reach
 * call k+2 (reusing call k's slots) before every shard has entered call k+1, i.e. finished reading k.
 */
export class SharedCollective implements Collective {
  private readonly ctrl: Int32Array;
  private readonly slots: Float64Array;
  private parity = 0;

  constructor(
    shared: SharedArrayBuffer,
    readonly rank: number,
    readonly size: number,
    readonly capacity: number,
    /** Give up waiting for the other shards after this long (a crashed thread must not hang us). */
    private readonly timeoutMs = 120_000,
  ) {
    if (shared.byteLength < collectiveBytes(size, capacity))
      throw new RangeError('shared buffer too small for the collective');
    this.ctrl = new Int32Array(shared, 0, CONTROL_INTS);
    this.slots = new Float64Array(shared, CONTROL_INTS * 4, 2 * size * capacity);
  }

  allReduce(values: Float64Array, len: number): void {
    if (this.size === 1) return;
    if (len > this.capacity)
      throw new CollectiveError(`allReduce of ${len} values exceeds ${this.capacity}`, 'TOO_LONG');
    const base = this.parity * this.size * this.capacity;
    this.parity ^= 1;
    this.slots.set(values.subarray(0, len), base + this.rank * this.capacity);
    this.barrier();
    values.set(this.slots.subarray(base, base + len));
    for (let r = 1; r < this.size; r++) {
      const o = base + r * this.capacity;
      for (let i = 0; i < len; i++) values[i]! += this.slots[o + i]!;
    }
  }

  /** Wait until every shard has arrived. */
  barrier(): void {
    const ctrl = this.ctrl;
    const gen = Atomics.load(ctrl, GEN);
    if (Atomics.add(ctrl, COUNT, 1) === this.size - 1) {
      Atomics.store(ctrl, COUNT, 0);
      Atomics.add(ctrl, GEN, 1);
      Atomics.notify(ctrl, GEN);
      return;
    }
    for (let i = 0; i < SPINS; i++) if (Atomics.load(ctrl, GEN) !== gen) return;
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(ctrl, GEN) === gen) {
      if (Atomics.load(ctrl, ABORT) !== 0) throw new CollectiveError('another shard failed', 'ABORTED');
      if (Date.now() > deadline) throw new CollectiveError('shards stopped answering', 'TIMEOUT');
      Atomics.wait(ctrl, GEN, gen, 50);
    }
  }

  /** Release every waiting shard with an error (called by a shard that failed). */
  abort(): void {
    Atomics.store(this.ctrl, ABORT, 1);
    Atomics.add(this.ctrl, GEN, 0);
    Atomics.notify(this.ctrl, GEN);
  }
}
