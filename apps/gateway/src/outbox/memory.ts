/** In-memory twin of the outbox and command ledger, for unit tests (not durable). */
import {
  type CommandLedger,
  type CommandRecord,
  type EnqueueOptions,
  OUTBOX_DEFAULT_MAX,
  type Outbox,
  type OutboxEntry,
} from './types.js';

export class MemoryStore implements Outbox, CommandLedger {
  readonly #rows: (OutboxEntry & { keep: boolean })[] = [];
  readonly #commands = new Map<
    string,
    { state: 'running' | 'done'; results: Uint8Array[]; createdMs: number }
  >();
  #seq = 0;

  constructor(private readonly max = OUTBOX_DEFAULT_MAX) {}

  get size(): number {
    return this.#rows.length;
  }

  enqueue(topic: string, payload: Uint8Array, o: EnqueueOptions, nowMs = Date.now()): number {
    if (this.#rows.length >= this.max) {
      const i = this.#rows.findIndex((r) => !r.keep);
      if (i >= 0) this.#rows.splice(i, 1);
    }
    const seq = ++this.#seq;
    this.#rows.push({ seq, topic, payload: payload.slice(), createdMs: nowMs, keep: o.keep });
    return seq;
  }

  /** Not durable anyway: a lazy entry is as published as any other at once. */
  onDurable(_listener: () => void): void {}

  next(afterSeq: number, limit: number): OutboxEntry[] {
    return this.#rows.filter((r) => r.seq > afterSeq).slice(0, limit);
  }

  remove(seq: number): void {
    const i = this.#rows.findIndex((r) => r.seq === seq);
    if (i >= 0) this.#rows.splice(i, 1);
  }

  expire(beforeMs: number): number {
    const before = this.#rows.length;
    for (let i = this.#rows.length - 1; i >= 0; i--)
      if (this.#rows[i]!.createdMs < beforeMs) this.#rows.splice(i, 1);
    return before - this.#rows.length;
  }

  get(id: string): CommandRecord | undefined {
    const c = this.#commands.get(id);
    return c && { state: c.state, results: [...c.results] };
  }

  begin(id: string, _cid: string, nowMs = Date.now()): boolean {
    if (this.#commands.has(id)) return false;
    this.#commands.set(id, { state: 'running', results: [], createdMs: nowMs });
    return true;
  }

  finish(id: string, results: { topic: string; payload: Uint8Array }[]): void {
    const c = this.#commands.get(id);
    if (!c) return;
    c.state = 'done';
    for (const r of results) {
      c.results.push(r.payload);
      this.enqueue(r.topic, r.payload, { keep: true });
    }
  }

  close(): void {}
}
