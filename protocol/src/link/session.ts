/**
 * The data path of one link session (PROTOCOL.md §3.4, §3.5): exists from the HELLO exchange until a
 * reset. Owns the receive window, the RTO estimator and the ack state; drives the endpoint's SendWindow.
 */
import { FrameFlag, FrameType } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { encodeFrame } from './frame.js';
import { encodeSack } from './payloads.js';
import { type Delivery, ReceiveWindow } from './recv-window.js';
import { RtoEstimator } from './rto.js';
import type { OutFrame, SendWindow } from './send-window.js';
import type { LinkEvent, LinkParams, LinkStats, ResolvedLinkOptions } from './types.js';

/** What a session needs from its endpoint. */
export interface SessionHost {
  readonly options: ResolvedLinkOptions;
  readonly stats: LinkStats;
  readonly sender: SendWindow;
  emit(e: LinkEvent): void;
  /** A violation by the peer: error event here, ERROR frame to the peer (§3.8). */
  violation(e: ProtocolError): void;
  /** Receive side paused by the application (§3.5.5). */
  paused(): boolean;
  /** Messages were acknowledged; the send queue may have room. */
  drained(): void;
}

export class Session {
  readonly rto: RtoEstimator;
  private readonly receiver = new ReceiveWindow();
  private ackPending = false;
  private ackDue = false;
  private ackSince = 0;
  private sackPending = false;
  private consecutiveTimeouts = 0;

  constructor(
    private readonly host: SessionHost,
    readonly params: LinkParams,
    localEpoch: number,
    peerEpoch: number,
  ) {
    const o = host.options;
    this.rto = new RtoEstimator({ initialMs: o.initialRtoMs, minMs: o.minRtoMs, maxMs: o.maxRtoMs });
    // PROTOCOL.md §3.5.1: each direction starts at the low 16 bits of its sender's epoch.
    host.sender.start(localEpoch, params.window, params.maxFramePayload);
    this.receiver.start(peerEpoch, params.window, params.maxMessageBytes);
  }

  /** Runs timers; returns true when the link must go down (§3.5.6). */
  poll(now: number): boolean {
    const { options: o, stats } = this.host;
    // PROTOCOL.md §3.5.6: expired frames are marked for retransmission and the timeout doubles.
    if (this.host.sender.expire(now, this.rto.rto) > 0) {
      stats.timeouts++;
      this.rto.backoff();
      if (++this.consecutiveTimeouts > o.maxRetransmissions) return true;
    }
    if (this.ackPending && !this.ackDue && now >= this.ackSince + o.ackDelayMs) this.ackDue = true;
    return false;
  }

  deadline(): number | undefined {
    const rtx = this.host.sender.deadline(this.rto.rto);
    if (!this.ackPending || this.ackDue) return rtx;
    const ack = this.ackSince + this.host.options.ackDelayMs;
    return rtx === undefined ? ack : Math.min(rtx, ack);
  }

  hasOutput(): boolean {
    return this.sackPending || this.host.sender.hasWork() || (this.ackPending && this.ackDue);
  }

  /** PROTOCOL.md §3.5.3: ACK with SACK first, then DATA (retransmissions first), then a plain ACK. */
  nextFrame(now: number): Uint8Array | undefined {
    if (this.sackPending) return this.ackFrame();
    const f = this.host.sender.next(now);
    if (f) return this.dataFrame(f);
    if (this.ackPending && this.ackDue) return this.ackFrame();
    return undefined;
  }

  /** Sends a window update (§3.5.5). */
  windowUpdate(): void {
    this.sackPending = true;
  }

  /** Ends the session; returns the bytes of a partly received message discarded. */
  close(): number {
    return this.receiver.reset();
  }

  onAck(ack: number, sack: number | undefined, rwnd: number, now: number): void {
    const { sender, stats } = this.host;
    const r = sender.onAck(ack, sack, rwnd, now);
    if (r.invalid) {
      stats.ignoredFrames++;
      return;
    }
    if (r.rttMs !== undefined) this.rto.sample(r.rttMs);
    // PROTOCOL.md §3.5.6: progress, or a peer answering with a closed window, resets the give-up count.
    if (r.progress || (rwnd === 0 && ack === sender.oldestUnacked)) this.consecutiveTimeouts = 0;
    stats.fastRetransmits += r.newlyLost;
    if (r.completed > 0) {
      stats.messagesOut += r.completed;
      this.host.drained();
    }
  }

  onData(seq: number, payload: Uint8Array, more: boolean, now: number): void {
    const { stats, options } = this.host;
    const p = this.params;
    if (payload.length > p.maxFramePayload) {
      this.host.violation(
        new ProtocolError('TOO_LARGE', `DATA payload ${payload.length} > ${p.maxFramePayload}`),
      );
      return;
    }
    const out: Delivery = { messages: [], tooLarge: [] };
    const r = this.receiver.accept(seq, payload, more, this.rwnd(), out);
    if (r === 'duplicate') stats.duplicates++;
    else if (r === 'outside') stats.outOfWindow++;
    // PROTOCOL.md §3.5.3: every DATA frame is acknowledged; with an ACK frame at once when it was a
    // duplicate, outside the window, or when frames are held out of order.
    if (r !== 'accepted' || this.receiver.heldFrames > 0) this.sackPending = true;
    else if (!this.ackPending) {
      this.ackPending = true;
      this.ackSince = now;
      this.ackDue = options.ackDelayMs <= 0;
    }
    for (const data of out.messages) {
      stats.messagesIn++;
      this.host.emit({ type: 'message', data });
    }
    for (const n of out.tooLarge) {
      this.host.violation(new ProtocolError('TOO_LARGE', `message of ${n}+ bytes > ${p.maxMessageBytes}`));
    }
  }

  private rwnd(): number {
    return this.host.paused() ? 0 : this.params.window;
  }

  private dataFrame(f: OutFrame): Uint8Array {
    const st = this.host.stats;
    st.dataFramesOut++;
    if (f.retransmission) st.retransmissions++;
    this.ackPending = this.ackDue = false;
    // PROTOCOL.md §3.5.3: every DATA frame carries the cumulative ack.
    const flags = FrameFlag.ACK_VALID | (f.more ? FrameFlag.MORE : 0);
    const fields = { type: FrameType.DATA, flags, rwnd: this.rwnd(), seq: f.seq, ack: this.receiver.ack };
    return encodeFrame(fields, f.payload);
  }

  private ackFrame(): Uint8Array {
    this.host.stats.acksOut++;
    this.ackPending = this.ackDue = this.sackPending = false;
    const fields = {
      type: FrameType.ACK,
      flags: FrameFlag.ACK_VALID,
      rwnd: this.rwnd(),
      ack: this.receiver.ack,
    };
    return encodeFrame(fields, encodeSack(this.receiver.sack()));
  }
}
