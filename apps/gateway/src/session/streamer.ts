/**
 * Streams the samples of one training session to one device (PROTOCOL.md §4.3): SAMPLE_BATCH messages
 * numbered from 0, never at or above the device's granted limit `next + cr` (the largest seen), at most
 * `rate` samples per second, each batch within the device's message limit. On a gap reported by the
 * device (ERROR OUT_OF_RANGE) or after a link reset it resends from the `next` of the latest credit.
 * A live feed may have fewer samples ready than the credit allows: batches are then as large as what is
 * ready, and the rest follows on later ticks.
 */
import { P } from '@tinyfleet/protocol/constants';
import { type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import type { SessionFeed } from '../sources/index.js';

export interface StreamerOptions {
  readonly sessionId: number;
  readonly feed: SessionFeed;
  /** Samples per second; 0 = as fast as credit allows. */
  readonly rate: number;
  /** Samples to send in total; 0 = no limit (the device ends the session). */
  readonly total: number;
  /** The device's `mmsg` (HELLO, §4.1.6 item 4). */
  readonly maxMessageBytes: number;
  /** Sends a message; false when the link's queue is full or the device is not attached. */
  readonly send: (m: Message) => boolean;
  readonly tickMs?: number;
  /** The feed failed (e.g. a file unreadable after loading): the streamer has stopped. */
  readonly onError?: (e: unknown) => void;
  /**
   * Resuming a running session (§4.4.8): the device has trained on this many samples. Nothing is sent
   * before the device's next SAMPLE_CREDIT, whose `next` says where it stands (§4.3 item 1).
   */
  readonly startAt?: number;
}

/** Envelope and keys of a SAMPLE_BATCH besides x and y, generously (§4.3.1). */
const BATCH_OVERHEAD = 128;

export class SampleStreamer {
  readonly sessionId: number;
  #limit = 0;
  #acked = 0;
  #nextSeq = 0;
  #tokens = 0;
  #lastTick = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #sent = 0;

  constructor(private readonly o: StreamerOptions) {
    this.sessionId = o.sessionId;
    this.#nextSeq = this.#acked = o.startAt ?? 0;
  }

  get progress(): { next: number; limit: number; acked: number; batches: number } {
    return { next: this.#nextSeq, limit: this.#limit, acked: this.#acked, batches: this.#sent };
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.o.tickMs ?? 20);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.o.feed.close();
  }

  /**
   * SAMPLE_CREDIT (§4.3 item 1): the grant is absolute, so keep the largest. The device has every sample
   * below `next`: sending starts there at the earliest (after a resume, §4.4.8, none is sent twice).
   */
  credit(next: number, cr: number): void {
    this.#acked = Math.max(this.#acked, next);
    this.#limit = Math.max(this.#limit, next + cr);
    this.#nextSeq = Math.max(this.#nextSeq, this.#acked);
    this.o.feed.release(this.#acked);
    this.tick();
  }

  /** Resend from the device's latest `next` (§4.3 item 3). */
  rewind(): void {
    this.#nextSeq = Math.min(this.#nextSeq, this.#acked);
  }

  tick(): void {
    const now = Date.now();
    const per = this.o.feed.shape.reduce((a, b) => a * b, 1);
    if (this.o.rate > 0) {
      this.#tokens = Math.min(
        this.#tokens + ((now - this.#lastTick) * this.o.rate) / 1000,
        Math.max(this.o.rate, 1),
      );
    }
    this.#lastTick = now;
    const fit = Math.floor((this.o.maxMessageBytes - BATCH_OVERHEAD) / (per + 1));
    const maxBatch = Math.min(P.MESSAGE_MAX_BATCH_SAMPLES, fit, Math.floor(P.MESSAGE_MAX_TENSOR_BYTES / per));
    for (;;) {
      let n = Math.min(maxBatch, this.#limit - this.#nextSeq);
      if (this.o.total > 0) n = Math.min(n, this.o.total - this.#nextSeq);
      if (this.o.rate > 0) n = Math.min(n, Math.floor(this.#tokens));
      n = Math.min(n, this.o.feed.available(this.#nextSeq));
      if (n < 1) return;
      let batch: Message;
      try {
        batch = this.#batch(this.#nextSeq, n, per);
      } catch (e) {
        // Never let a bad sample escape the timer: the session's stream ends, the daemon carries on.
        this.stop();
        this.o.onError?.(e);
        return;
      }
      if (!this.o.send(batch)) return;
      this.#sent++;
      this.#nextSeq += n;
      if (this.o.rate > 0) this.#tokens -= n;
    }
  }

  #batch(seq: number, n: number, per: number): Message {
    const x = new Uint8Array(n * per);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const s = this.o.feed.sample(seq + i);
      x.set(s.x, i * per);
      y[i] = s.y;
    }
    return {
      type: 'SAMPLE_BATCH',
      id: randomMessageId(),
      sessionId: this.o.sessionId,
      firstSeq: seq,
      shape: [n, ...this.o.feed.shape],
      x,
      // §4.3 item 4: the model input's scale and zero point, as the feed quantized the samples.
      inputScale: this.o.feed.scale,
      inputZeroPoint: this.o.feed.zeroPoint,
      labels: y,
    };
  }
}
