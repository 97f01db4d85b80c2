/**
 * Receiver half of selective repeat (PROTOCOL.md §3.4, §3.5): in-order delivery, out-of-order buffer,
 * duplicate suppression, SACK bitmap, reassembly of fragments into messages.
 */
import { P } from '../constants/index.js';
import { seqAdd, seqDiff } from './seq.js';

const SLOTS = P.LINK_MAX_WINDOW;
const MASK = SLOTS - 1;

interface Held {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly more: boolean;
}

/** What `accept` did with a DATA frame (§3.5.8). */
export type Acceptance = 'accepted' | 'duplicate' | 'outside';

/** Filled by `accept`: completed messages and sizes of messages dropped as TOO_LARGE (§3.4.2). */
export interface Delivery {
  readonly messages: Uint8Array[];
  readonly tooLarge: number[];
}

export class ReceiveWindow {
  private rcvNxt = 0;
  private window = 0;
  private maxMessage = 0;
  private readonly held: (Held | undefined)[] = new Array<Held | undefined>(SLOTS).fill(undefined);
  private heldCount = 0;
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** Bytes of the oversized message being skipped, or -1 when not skipping. */
  private skipping = -1;

  /** Opens a session: the peer's first sequence number, negotiated window and message limit. */
  start(isn: number, window: number, maxMessage: number): void {
    this.reset();
    this.rcvNxt = isn & 0xffff;
    this.window = window;
    this.maxMessage = maxMessage;
  }

  /** Cumulative ack: the next sequence number expected (§3.5.3). */
  get ack(): number {
    return this.rcvNxt;
  }

  /** Frames held out of order. */
  get heldFrames(): number {
    return this.heldCount;
  }

  /** Bytes of a partly reassembled message. */
  get partialBytes(): number {
    return this.size;
  }

  /**
   * PROTOCOL.md §3.5.8: accepts a DATA frame whose sequence number lies in [ack, ack + limit);
   * earlier ones are duplicates, later ones are outside the advertised window.
   */
  accept(seq: number, payload: Uint8Array, more: boolean, limit: number, out: Delivery): Acceptance {
    const d = seqDiff(seq, this.rcvNxt);
    if (d < 0) return 'duplicate';
    if (d >= Math.min(limit, this.window)) return 'outside';
    if (d > 0) {
      const i = seq & MASK;
      if (this.held[i]?.seq === seq) return 'duplicate';
      this.held[i] = { seq, payload, more };
      this.heldCount++;
      return 'accepted';
    }
    this.deliver(payload, more, out);
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    for (;;) {
      const i = this.rcvNxt & MASK;
      const h = this.held[i];
      if (h?.seq !== this.rcvNxt) break;
      this.held[i] = undefined;
      this.heldCount--;
      this.deliver(h.payload, h.more, out);
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
    }
    return 'accepted';
  }

  /** PROTOCOL.md §3.5.4: bit i set when frame `ack + 1 + i` is held. */
  sack(): number {
    if (this.heldCount === 0) return 0;
    let bits = 0;
    for (let b = 0; b < 32; b++) {
      const seq = seqAdd(this.rcvNxt, b + 1);
      if (this.held[seq & MASK]?.seq === seq) bits |= 1 << b;
    }
    return bits >>> 0;
  }

  /** Drops all state; returns the bytes of the partial message discarded. */
  reset(): number {
    const partial = this.size;
    this.held.fill(undefined);
    this.heldCount = 0;
    this.chunks = [];
    this.size = 0;
    this.skipping = -1;
    return partial;
  }

  /** PROTOCOL.md §3.4.2: reassembly in sequence order; MORE clear ends a message. */
  private deliver(payload: Uint8Array, more: boolean, out: Delivery): void {
    if (this.skipping >= 0) {
      this.skipping += payload.length;
      if (!more) {
        out.tooLarge.push(this.skipping);
        this.skipping = -1;
      }
      return;
    }
    if (this.size + payload.length > this.maxMessage) {
      this.skipping = this.size + payload.length;
      this.chunks = [];
      this.size = 0;
      if (!more) {
        out.tooLarge.push(this.skipping);
        this.skipping = -1;
      }
      return;
    }
    if (!more && this.size === 0) {
      out.messages.push(payload);
      return;
    }
    this.chunks.push(payload);
    this.size += payload.length;
    if (more) return;
    const msg = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      msg.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    this.size = 0;
    out.messages.push(msg);
  }
}
