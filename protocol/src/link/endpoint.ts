/**
 * One end of a TinyFleet serial link (PROTOCOL.md §3): a pure state machine. Feed it received bytes and
 * the time, take the bytes it wants written and the events it raised. No I/O, no timers: the caller
 * owns the clock (`nowMs`, any monotonic millisecond origin) and calls `poll` at `nextDeadlineMs()`.
 */
import { FrameFlag, FrameType, P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { type DecodeFailure, Deframer } from './deframer.js';
import { encodeFrame, type Frame } from './frame.js';
import { decideHello, decideHelloAck, type HandshakeState } from './handshake.js';
import { newStats, resolveOptions } from './options.js';
import { Outbox } from './outbox.js';
import {
  decodeErrorPayload,
  decodeHello,
  decodeSack,
  encodeErrorPayload,
  encodeHello,
  type HelloPayload,
} from './payloads.js';
import { SendWindow } from './send-window.js';
import { Session, type SessionHost } from './session.js';
import type {
  LinkEndpointOptions,
  LinkEvent,
  LinkParams,
  LinkState,
  LinkStats,
  ResolvedLinkOptions,
  SessionLoss,
} from './types.js';

export class LinkEndpoint {
  private readonly o: ResolvedLinkOptions;
  private readonly deframer: Deframer;
  private readonly sender: SendWindow;
  private readonly st: LinkStats;
  private readonly host: SessionHost;
  private session: Session | undefined;
  private epoch: number;
  private peer = 0;
  private readonly outbox: Outbox;
  private events: LinkEvent[] = [];
  private helloAt = Number.NEGATIVE_INFINITY;
  private helloDue = false;
  private paused = false;
  private blocked = false;
  private statsAt: number | undefined;

  constructor(options: LinkEndpointOptions = {}) {
    this.o = resolveOptions(options);
    this.deframer = new Deframer(Math.max(this.o.maxFramePayload, P.LINK_DEFAULT_FRAME_PAYLOAD));
    this.sender = new SendWindow(this.o.reorderThreshold);
    this.st = newStats(this.o.initialRtoMs);
    this.outbox = new Outbox(this.o.idleDelimiterMs);
    this.epoch = this.newEpoch();
    this.host = {
      options: this.o,
      stats: this.st,
      sender: this.sender,
      emit: (e) => this.events.push(e),
      violation: (e) => this.protocolError(e),
      paused: () => this.paused,
      drained: () => this.checkWritable(),
    };
  }

  get state(): LinkState {
    return this.session ? 'up' : 'connecting';
  }

  /** Negotiated parameters while the link is up. */
  get params(): LinkParams | undefined {
    return this.session?.params;
  }

  get localEpoch(): number {
    return this.epoch;
  }

  /** Epoch of the peer's current (or last) session, 0 if none yet. */
  get peerEpoch(): number {
    return this.peer;
  }

  /** Bytes and messages queued or in flight, not yet acknowledged. */
  get queuedBytes(): number {
    return this.sender.queuedBytes;
  }

  get queuedMessages(): number {
    return this.sender.queuedMessages;
  }

  get stats(): LinkStats {
    return {
      ...this.st,
      state: this.state,
      discardedBytes: this.deframer.counters.discardedBytes,
      srttMs: this.session?.rto.srtt,
      rtoMs: this.session?.rto.rto ?? this.o.initialRtoMs,
    };
  }

  /**
   * Queues a message (PROTOCOL.md §3.4). Returns false when the send queue is full (a `writable` event
   * follows when it has room). Throws ProtocolError TOO_LARGE when the message exceeds the negotiated
   * (before connecting: the offered) maximum. The link keeps a reference: do not modify `message`.
   */
  send(message: Uint8Array, _nowMs?: number): boolean {
    const limit = this.session?.params.maxMessageBytes ?? this.o.maxMessageBytes;
    if (message.length > limit) {
      throw new ProtocolError('TOO_LARGE', `message of ${message.length} bytes exceeds ${limit}`);
    }
    const s = this.sender;
    if (
      s.queuedMessages >= this.o.maxQueuedMessages ||
      s.queuedBytes + message.length > this.o.maxQueuedBytes
    ) {
      this.blocked = true;
      return false;
    }
    s.enqueue(message);
    return true;
  }

  /** Feeds bytes read from the line. Never throws on any input (PROTOCOL.md §3.7). */
  receiveBytes(bytes: Uint8Array, nowMs: number): void {
    this.st.bytesIn += bytes.length;
    for (const r of this.deframer.push(bytes)) {
      if (r.ok) this.onFrame(r.frame, nowMs);
      else this.onBadFrame(r.failure);
    }
  }

  /** Runs the timers due at `nowMs`. Afterwards `nextDeadlineMs()` is later than `nowMs` or undefined. */
  poll(nowMs: number): void {
    if (!this.session) {
      // PROTOCOL.md §3.6.3: repeat HELLO until answered.
      if (nowMs >= this.helloAt) {
        this.helloDue = true;
        this.helloAt = nowMs + this.o.helloIntervalMs;
      }
    } else if (this.session.poll(nowMs)) this.linkDown('retransmissions', nowMs);
    if (this.o.statsIntervalMs > 0) {
      this.statsAt ??= nowMs + this.o.statsIntervalMs;
      if (nowMs >= this.statsAt) {
        this.events.push({ type: 'stats', stats: this.stats });
        this.statsAt = nowMs + this.o.statsIntervalMs;
      }
    }
  }

  /** When `poll` must run next (a value <= now means at once), or undefined when no timer runs. */
  nextDeadlineMs(): number | undefined {
    let d = this.session ? this.session.deadline() : this.helloAt;
    if (this.o.statsIntervalMs > 0) {
      const s = this.statsAt ?? Number.NEGATIVE_INFINITY;
      if (d === undefined || s < d) d = s;
    }
    return d;
  }

  /** True when `takeOutbox` would return bytes now (timers aside). */
  hasOutput(): boolean {
    if (this.outbox.hasControl || this.helloDue) return true;
    return this.session?.hasOutput() ?? false;
  }

  /**
   * Bytes to write to the line now: whole frames, built at the last moment so they carry the newest ack.
   * Returns at least one frame when any is ready, and stops once `maxBytes` is reached; a transport
   * that pulls about one frame whenever its transmitter runs dry gets the best retransmission timing.
   */
  takeOutbox(nowMs: number, maxBytes = Number.POSITIVE_INFINITY): Uint8Array {
    this.poll(nowMs);
    const { bytes, frames } = this.outbox.collect(nowMs, maxBytes, () => this.nextFrame(nowMs));
    this.st.framesOut += frames;
    this.st.bytesOut += bytes.length;
    return bytes;
  }

  takeEvents(): LinkEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** Flow control (PROTOCOL.md §3.5.5): advertise rwnd 0 and accept no new DATA until resumed. */
  pauseReceive(): void {
    this.paused = true;
  }

  resumeReceive(): void {
    this.paused = false;
    this.session?.windowUpdate();
  }

  /** Ends the session from this side (link-down event, reason `local`) and starts a new handshake. */
  reset(nowMs: number): void {
    this.linkDown('local', nowMs);
  }

  /** PROTOCOL.md §3.5.9: control frames first, then HELLO or the session's frames. */
  private nextFrame(now: number): Uint8Array | undefined {
    const c = this.outbox.shift();
    if (c) return c;
    if (this.session) return this.session.nextFrame(now);
    if (!this.helloDue) return undefined;
    this.helloDue = false;
    this.st.hellosOut++;
    // PROTOCOL.md §3.7.3: HELLO is always preceded by a delimiter.
    return encodeFrame({ type: FrameType.HELLO }, encodeHello(this.handshakeState().offer), true);
  }

  private queueError(e: ProtocolError): void {
    this.st.errorsOut++;
    const max = this.session?.params.maxFramePayload ?? P.LINK_DEFAULT_FRAME_PAYLOAD;
    this.outbox.push(encodeFrame({ type: FrameType.ERROR }, encodeErrorPayload(e.code, e.message, max)));
  }

  /** A violation by the peer: event here, ERROR frame there (PROTOCOL.md §3.8.2). */
  private protocolError(e: ProtocolError): void {
    this.events.push({ type: 'error', error: e });
    this.queueError(e);
  }

  private onBadFrame(f: DecodeFailure): void {
    if (f.code === 'CRC_MISMATCH') this.st.crcErrors++;
    else if (!f.afterCrc) this.st.framingErrors++;
    else {
      // PROTOCOL.md §3.8.2: a frame with a good CRC was sent as is; tell the peer, unless it is an ERROR.
      this.st.frameErrors++;
      const e = new ProtocolError(f.code, `bad frame: ${f.message}`);
      this.events.push({ type: 'error', error: e });
      if (f.rawType !== FrameType.ERROR) this.queueError(e);
    }
  }

  private onFrame(frame: Frame, now: number): void {
    this.st.framesIn++;
    const h = frame.header;
    switch (h.type) {
      case FrameType.HELLO:
        this.onHello(decodeHello(frame.payload));
        return;
      case FrameType.HELLO_ACK:
        this.onHelloAck(decodeHello(frame.payload), now);
        return;
      case FrameType.ERROR: {
        const e = decodeErrorPayload(frame.payload);
        this.st.errorsIn++;
        this.events.push({ type: 'peer-error', code: e.code, name: e.name, text: e.text });
        return;
      }
    }
    const s = this.session;
    if (!s) {
      this.st.ignoredFrames++; // PROTOCOL.md §3.6.4: no session, nothing to acknowledge
      return;
    }
    if (h.type === FrameType.ACK) {
      this.st.acksIn++;
      s.onAck(h.ack, decodeSack(frame.payload), h.rwnd, now);
      return;
    }
    if ((h.flags & FrameFlag.ACK_VALID) !== 0) s.onAck(h.ack, undefined, h.rwnd, now);
    s.onData(h.seq, frame.payload, (h.flags & FrameFlag.MORE) !== 0, now);
  }

  // ---- HELLO negotiation, PROTOCOL.md §3.6 ----

  private handshakeState(): HandshakeState {
    const { window, maxFramePayload, maxMessageBytes } = this.o;
    const offer = {
      version: P.PROTOCOL_VERSION,
      window,
      maxFramePayload,
      maxMessageBytes,
      epoch: this.epoch,
    };
    return {
      up: this.session !== undefined,
      localEpoch: this.epoch,
      peerEpoch: this.peer,
      offer: { ...offer, peerEpoch: this.peer },
    };
  }

  private onHello(h: HelloPayload): void {
    const d = decideHello(this.handshakeState(), h);
    if (d.action === 'reject') this.protocolError(d.error);
    // PROTOCOL.md §3.6.3: a repeated HELLO of the current session; our HELLO_ACK was lost.
    else if (d.action === 'answer-again') this.queueHelloAck(this.session!.params, h.epoch);
    else {
      if (d.peerReset) {
        // PROTOCOL.md §3.6.4: a new epoch mid-session is a peer reset; our new session gets a new epoch.
        this.peerReset(h.epoch);
        this.epoch = this.newEpoch();
      }
      this.queueHelloAck(d.params, h.epoch);
      this.establish(d.params, h.epoch);
    }
  }

  private queueHelloAck(p: LinkParams, helloEpoch: number): void {
    const payload = encodeHello({ ...p, epoch: this.epoch, peerEpoch: helloEpoch });
    this.outbox.push(encodeFrame({ type: FrameType.HELLO_ACK }, payload, true));
  }

  private onHelloAck(h: HelloPayload, now: number): void {
    const d = decideHelloAck(this.handshakeState(), h);
    if (d.action === 'reject') this.protocolError(d.error);
    else if (d.action === 'ignore') this.st.ignoredFrames++;
    else if (d.action === 'open') this.establish(d.params, h.epoch);
    else {
      this.peerReset(h.epoch);
      this.restartHandshake(now);
    }
  }

  private establish(p: LinkParams, peerEpoch: number): void {
    this.peer = peerEpoch;
    this.helloDue = false;
    this.session = new Session(this.host, p, this.epoch, peerEpoch);
    this.st.connects++;
    this.events.push({ type: 'connected', params: p, localEpoch: this.epoch, peerEpoch });
    for (const dropped of this.sender.removeLarger(p.maxMessageBytes)) {
      const e = new ProtocolError(
        'TOO_LARGE',
        `queued message of ${dropped.length} bytes > ${p.maxMessageBytes}`,
      );
      this.events.push({ type: 'error', error: e, dropped });
    }
  }

  /** PROTOCOL.md §3.6.4: ends the session; every message not known delivered is handed back. */
  private teardown(): SessionLoss {
    const { unacked, unsent } = this.sender.drain();
    const discardedInboundBytes = this.session?.close() ?? 0;
    this.session = undefined;
    this.outbox.clear();
    this.checkWritable();
    return { unacked, unsent, discardedInboundBytes };
  }

  private peerReset(peerEpoch: number): void {
    this.st.peerResets++;
    const loss = this.teardown();
    this.events.push({ type: 'peer-reset', peerEpoch, ...loss });
  }

  private linkDown(reason: 'retransmissions' | 'local', now: number): void {
    this.st.linkDowns++;
    const loss = this.teardown();
    this.events.push({ type: 'link-down', reason, ...loss });
    this.restartHandshake(now);
  }

  private restartHandshake(now: number): void {
    // PROTOCOL.md §3.6.3: a new session always has a new epoch.
    this.epoch = this.newEpoch();
    this.helloDue = true;
    this.helloAt = now + this.o.helloIntervalMs;
  }

  private newEpoch(): number {
    for (;;) {
      const e = this.o.nonce() >>> 0;
      if (e !== 0 && e !== this.epoch) return e;
    }
  }

  private checkWritable(): void {
    if (!this.blocked) return;
    const s = this.sender;
    if (s.queuedMessages < this.o.maxQueuedMessages && s.queuedBytes < this.o.maxQueuedBytes) {
      this.blocked = false;
      this.events.push({ type: 'writable' });
    }
  }
}
