/** Discrete-event scheduler in virtual milliseconds: a binary heap ordered by (time, insertion order). */

interface Entry {
  readonly t: number;
  readonly n: number;
  readonly fn: () => void;
}

/** Events allowed at one instant before the scheduler assumes a livelock (a bug in a participant). */
const MAX_EVENTS_PER_INSTANT = 1_000_000;

export class Scheduler {
  private time = 0;
  private heap: Entry[] = [];
  private counter = 0;
  private sameInstant = 0;

  constructor(startMs = 0) {
    this.time = startMs;
  }

  /** Current virtual time in ms. */
  get now(): number {
    return this.time;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Time of the next event, or undefined. */
  peek(): number | undefined {
    return this.heap[0]?.t;
  }

  /** Runs `fn` at virtual time `t` (not before now). Equal times run in scheduling order. */
  at(t: number, fn: () => void): void {
    this.push({ t: Math.max(t, this.time), n: this.counter++, fn });
  }

  after(dtMs: number, fn: () => void): void {
    this.at(this.time + dtMs, fn);
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    const e = this.pop();
    if (!e) return false;
    if (e.t === this.time) {
      if (++this.sameInstant > MAX_EVENTS_PER_INSTANT) throw new Error(`scheduler livelock at ${e.t} ms`);
    } else this.sameInstant = 0;
    this.time = e.t;
    e.fn();
    return true;
  }

  /** Runs every event up to and including `t`, then sets the clock to `t`. */
  runUntil(t: number): void {
    for (let next = this.peek(); next !== undefined && next <= t; next = this.peek()) this.step();
    if (t > this.time) this.time = t;
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!top || !last || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}

function before(x: Entry, y: Entry): boolean {
  return x.t < y.t || (x.t === y.t && x.n < y.n);
}
