/**
 * Sender half of selective repeat (PROTOCOL.md §3.4, §3.5): message queue, fragmentation, frames in
 * flight, cumulative and selective acks, loss detection and retransmission timers. No I/O, no clock.
 */
import { P } from '../constants/index.js';
import { seqAdd, seqDiff } from './seq.js';

const SLOTS = P.LINK_MAX_WINDOW;
const MASK = SLOTS - 1; // LINK_MAX_WINDOW is a power of two

interface OutMessage {
  readonly data: Uint8Array;
  /** Bytes already cut into fragments. */
  offset: number;
  started: boolean;
  /** Sequence number of the last fragment, -1 until it is cut. */
  lastSeq: number;
}

interface Slot {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly more: boolean;
  sentAt: number;
  /** Transmission order; later (re)transmissions have larger values (§3.5.7). */
  txOrder: number;
  retransmitted: boolean;
  sacked: boolean;
  /** Declared lost, waiting to be retransmitted. */
  lost: boolean;
}

/** A DATA frame to put on the wire. */
export interface OutFrame {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly more: boolean;
  readonly retransmission: boolean;
}

export interface AckOutcome {
  /** The ack acknowledged data not acknowledged before (cumulatively or selectively). */
  progress: boolean;
  /** The ack acknowledges data never sent; it was ignored. */
  invalid: boolean;
  /** RTT sample from a frame sent once, if any. */
  rttMs: number | undefined;
  /** Frames newly declared lost by the SACK information (fast retransmit). */
  newlyLost: number;
  /** Messages whose last fragment is now cumulatively acknowledged. */
  completed: number;
}

/** Messages taken out of the sender by a reset (PROTOCOL.md §3.6.4). */
export interface Drained {
  /** At least one fragment was sent and not all were acknowledged: delivery unknown. */
  readonly unacked: Uint8Array[];
  /** Never sent: certainly not delivered. */
  readonly unsent: Uint8Array[];
}

export class SendWindow {
  queuedBytes = 0;
  queuedMessages = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private window = 0;
  private maxPayload = 0;
  private peerRwnd = 0;
  private running = false;
  private readonly slots: (Slot | undefined)[] = new Array<Slot | undefined>(SLOTS).fill(undefined);
  private queue: OutMessage[] = [];
  private qHead = 0;
  private active: OutMessage[] = [];
  private aHead = 0;
  private tx = 0;
  private lostCount = 0;

  constructor(private readonly reorderThreshold = 1) {}

  /** Opens a session: first sequence number, negotiated window and frame payload (§3.5.1, §3.6). */
  start(isn: number, window: number, maxPayload: number): void {
    this.sndUna = isn & 0xffff;
    this.sndNxt = this.sndUna;
    this.window = window;
    this.maxPayload = maxPayload;
    this.peerRwnd = window;
    this.running = true;
  }

  enqueue(data: Uint8Array): void {
    this.queue.push({ data, offset: 0, started: false, lastSeq: -1 });
    this.queuedBytes += data.length;
    this.queuedMessages++;
  }

  get inFlight(): number {
    return this.running ? seqDiff(this.sndNxt, this.sndUna) : 0;
  }

  /** Next sequence number not yet sent; the oldest unacknowledged one. */
  get nextSeq(): number {
    return this.sndNxt;
  }

  get oldestUnacked(): number {
    return this.sndUna;
  }

  /** A frame is ready to go now (a retransmission or new data the windows allow). */
  hasWork(): boolean {
    return this.lostCount > 0 || this.canSendNew();
  }

  /** PROTOCOL.md §3.5.5: at most min(window, rwnd) frames in flight, but always one (the probe). */
  private canSendNew(): boolean {
    if (!this.running || this.qHead >= this.queue.length) return false;
    return this.inFlight < Math.max(1, Math.min(this.window, this.peerRwnd));
  }

  /** Next DATA frame: retransmissions first, in sequence order, then new fragments (§3.5.7). */
  next(now: number): OutFrame | undefined {
    if (this.lostCount > 0) {
      for (let d = 0, n = this.inFlight; d < n; d++) {
        const s = this.slots[(this.sndUna + d) & MASK];
        if (s?.lost) {
          s.lost = false;
          this.lostCount--;
          s.sentAt = now;
          s.txOrder = ++this.tx;
          s.retransmitted = true;
          return { seq: s.seq, payload: s.payload, more: s.more, retransmission: true };
        }
      }
    }
    if (!this.canSendNew()) return undefined;
    const m = this.queue[this.qHead]!;
    if (!m.started) {
      m.started = true;
      this.active.push(m);
    }
    // PROTOCOL.md §3.4.1: fragments carry up to the negotiated frame payload, MORE on all but the last.
    const n = Math.min(this.maxPayload, m.data.length - m.offset);
    const payload = m.data.subarray(m.offset, m.offset + n);
    m.offset += n;
    const more = m.offset < m.data.length;
    const seq = this.sndNxt;
    if (!more) {
      m.lastSeq = seq;
      this.qHead++;
      this.compactQueue();
    }
    this.slots[seq & MASK] = {
      seq,
      payload,
      more,
      sentAt: now,
      txOrder: ++this.tx,
      retransmitted: false,
      sacked: false,
      lost: false,
    };
    this.sndNxt = seqAdd(seq, 1);
    return { seq, payload, more, retransmission: false };
  }

  /** Applies a cumulative ack, its rwnd, and (ACK frames only) the SACK bitmap (§3.5.3–§3.5.5, §3.5.7). */
  onAck(ack: number, sack: number | undefined, rwnd: number, now: number): AckOutcome {
    const out: AckOutcome = { progress: false, invalid: false, rttMs: undefined, newlyLost: 0, completed: 0 };
    if (!this.running) return out;
    const advance = seqDiff(ack, this.sndUna);
    const inFlight = this.inFlight;
    if (advance > inFlight) {
      out.invalid = true; // acknowledges frames never sent (stale session or broken peer)
      return out;
    }
    let sample: Slot | undefined;
    for (let d = 0; d < advance; d++) {
      const i = (this.sndUna + d) & MASK;
      const s = this.slots[i]!;
      if (!s.sacked && !s.retransmitted && (!sample || s.txOrder > sample.txOrder)) sample = s;
      if (s.lost) this.lostCount--;
      this.slots[i] = undefined;
    }
    if (advance > 0) {
      this.sndUna = ack;
      out.progress = true;
      out.completed = this.completeMessages();
    }
    if (advance >= 0) this.peerRwnd = rwnd;
    if (sack !== undefined && sack !== 0) {
      const span = this.inFlight;
      for (let bit = 0; bit < 32; bit++) {
        if (((sack >>> bit) & 1) === 0) continue;
        const seq = seqAdd(ack, bit + 1);
        const d = seqDiff(seq, this.sndUna);
        if (d < 0 || d >= span) continue;
        const s = this.slots[seq & MASK];
        if (!s || s.sacked) continue;
        s.sacked = true;
        out.progress = true;
        if (s.lost) {
          s.lost = false;
          this.lostCount--;
        }
        if (!s.retransmitted && (!sample || s.txOrder > sample.txOrder)) sample = s;
      }
    }
    // Karn's rule: only frames sent once give samples.
    if (sample) out.rttMs = now - sample.sentAt;
    out.newlyLost = this.detectLosses();
    return out;
  }

  /**
   * PROTOCOL.md §3.5.7 fast retransmit: a frame not yet acknowledged is lost when at least
   * `reorderThreshold` frames transmitted after it have been selectively acknowledged.
   */
  private detectLosses(): number {
    const n = this.inFlight;
    const orders: number[] = [];
    for (let d = 0; d < n; d++) {
      const s = this.slots[(this.sndUna + d) & MASK];
      if (s?.sacked) orders.push(s.txOrder);
    }
    if (orders.length < this.reorderThreshold) return 0;
    orders.sort((a, b) => b - a);
    const kth = orders[this.reorderThreshold - 1]!;
    let lost = 0;
    for (let d = 0; d < n; d++) {
      const s = this.slots[(this.sndUna + d) & MASK];
      if (s && !s.sacked && !s.lost && s.txOrder < kth) {
        s.lost = true;
        this.lostCount++;
        lost++;
      }
    }
    return lost;
  }

  /** PROTOCOL.md §3.5.6: frames whose timer ran out are declared lost; returns how many. */
  expire(now: number, rto: number): number {
    let n = 0;
    for (let d = 0, f = this.inFlight; d < f; d++) {
      const s = this.slots[(this.sndUna + d) & MASK];
      if (s && !s.sacked && !s.lost && s.sentAt + rto <= now) {
        s.lost = true;
        this.lostCount++;
        n++;
      }
    }
    return n;
  }

  /** Earliest retransmission deadline of a frame still timed, or undefined. */
  deadline(rto: number): number | undefined {
    let min: number | undefined;
    for (let d = 0, f = this.inFlight; d < f; d++) {
      const s = this.slots[(this.sndUna + d) & MASK];
      if (s && !s.sacked && !s.lost && (min === undefined || s.sentAt + rto < min)) min = s.sentAt + rto;
    }
    return min;
  }

  /** Queued messages not yet started that exceed `limit` bytes are removed and returned. */
  removeLarger(limit: number): Uint8Array[] {
    const removed: Uint8Array[] = [];
    const keep: OutMessage[] = [];
    for (let i = this.qHead; i < this.queue.length; i++) {
      const m = this.queue[i]!;
      if (!m.started && m.data.length > limit) {
        removed.push(m.data);
        this.queuedBytes -= m.data.length;
        this.queuedMessages--;
      } else keep.push(m);
    }
    this.queue = keep;
    this.qHead = 0;
    return removed;
  }

  /** PROTOCOL.md §3.6.4: empties the sender and ends the session. */
  drain(): Drained {
    const unacked = this.active.slice(this.aHead).map((m) => m.data);
    const unsent = this.queue
      .slice(this.qHead)
      .filter((m) => !m.started)
      .map((m) => m.data);
    this.queue = [];
    this.qHead = 0;
    this.active = [];
    this.aHead = 0;
    this.slots.fill(undefined);
    this.lostCount = 0;
    this.queuedBytes = 0;
    this.queuedMessages = 0;
    this.running = false;
    return { unacked, unsent };
  }

  private completeMessages(): number {
    let done = 0;
    while (this.aHead < this.active.length) {
      const m = this.active[this.aHead]!;
      if (m.lastSeq < 0 || seqDiff(this.sndUna, m.lastSeq) <= 0) break;
      this.aHead++;
      this.queuedBytes -= m.data.length;
      this.queuedMessages--;
      done++;
    }
    if (this.aHead > 64 && this.aHead * 2 > this.active.length) {
      this.active = this.active.slice(this.aHead);
      this.aHead = 0;
    }
    return done;
  }

  private compactQueue(): void {
    if (this.qHead > 64 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
  }
}
