/**
 * One device on one port: a ByteTransport, the link endpoint state machine (PROTOCOL.md §3) driven by
 * the wall clock and its own deadline timer, and the message codec (§4). It answers the device session
 * handshake (§4.2: HELLO -> HELLO_ACK) and hands every other device message to its owner, raw bytes
 * included, so they can be relayed unchanged (§4.1.1 item 4).
 */
import { ErrorCode, type ErrorCodeName, P } from '@tinyfleet/protocol/constants';
import { isProtocolError } from '@tinyfleet/protocol/errors';
import { LinkEndpoint, type LinkEndpointOptions, type LinkStats } from '@tinyfleet/protocol/link';
import { decodeMessage, encodeMessage, type Hello, type Message } from '@tinyfleet/protocol/messages';
import { errorText, GatewayError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { ByteTransport } from '../transport/index.js';
import { ErrorWindow, type HealthOptions } from './health.js';

/** What the gateway answers a HELLO with (PROTOCOL.md §4.2 item 2). */
export type HelloVerdict =
  | { readonly ok: true; readonly name: string; readonly heartbeatMs?: number }
  | { readonly ok: false; readonly code: ErrorCodeName; readonly text: string };

export interface DeviceLinkHandlers {
  /** Decide on a HELLO; the link answers HELLO_ACK or ERROR. Called for every HELLO, repeats included. */
  hello(hello: Hello, raw: Uint8Array): HelloVerdict;
  /** A message of a device that said HELLO and was accepted. */
  message(msg: Message, raw: Uint8Array): void;
  /** The link session ended (peer reset, link down): the device must say HELLO again. */
  sessionLost(reason: string): void;
  /** The device was quarantined; the transport is closed. */
  quarantined(reason: string): void;
  /** The transport went away (unplug, reset of a USB port). Not called after `close()` or quarantine. */
  closed(error: Error | undefined): void;
}

export interface DeviceLinkOptions {
  readonly path: string;
  readonly transport: ByteTransport;
  readonly handlers: DeviceLinkHandlers;
  readonly health: HealthOptions;
  readonly log: Logger;
  readonly link?: LinkEndpointOptions;
  readonly now?: () => number;
}

export type DeviceLinkState = 'connecting' | 'linked' | 'ready' | 'quarantined' | 'closed';

export class DeviceLink {
  readonly path: string;
  readonly #o: DeviceLinkOptions;
  readonly #ep: LinkEndpoint;
  readonly #errors: ErrorWindow;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #helloTimer: NodeJS.Timeout | undefined;
  #writing = false;
  #dirty = false;
  #state: DeviceLinkState = 'connecting';
  #hello: Hello | undefined;
  #seenErrors = 0;
  #decodeErrors = 0;
  /** Chunks the transport delivered, and writes handed to it (the per-call cost of the serial I/O). */
  #reads = 0;
  #writes = 0;

  constructor(o: DeviceLinkOptions) {
    this.#o = o;
    this.path = o.path;
    this.#now = o.now ?? Date.now;
    this.#ep = new LinkEndpoint(o.link);
    this.#errors = new ErrorWindow(o.health.windowMs);
    o.transport.onData((b) => this.#onBytes(b));
    o.transport.onClose((e) => this.#onClosed(e));
    this.#armHelloTimer();
    this.#pump();
  }

  get state(): DeviceLinkState {
    return this.#state;
  }

  /** The accepted HELLO of the current device session, if any. */
  get hello(): Hello | undefined {
    return this.#hello;
  }

  get stats(): LinkStats & {
    decodeErrors: number;
    errorsInWindow: number;
    transportReads: number;
    transportWrites: number;
  } {
    return {
      ...this.#ep.stats,
      decodeErrors: this.#decodeErrors,
      errorsInWindow: this.#errors.count(this.#now()),
      transportReads: this.#reads,
      transportWrites: this.#writes,
    };
  }

  /** Room in the link's send queue (PROTOCOL.md §3.5.2): callers that stream check this first. */
  get queuedBytes(): number {
    return this.#ep.queuedBytes;
  }

  /**
   * Sends a message to the device (PROTOCOL.md §4.1.6: within the device's `mmsg`). Returns false when
   * the link's send queue is full. Throws ProtocolError when the message is invalid or too large.
   */
  send(msg: Message): boolean {
    if (this.#state !== 'ready') throw new GatewayError('NOT_ATTACHED', `${this.path}: device not ready`);
    const bytes = encodeMessage(msg, { maxBytes: this.#hello?.maxMessageBytes ?? P.LINK_MAX_MESSAGE_BYTES });
    const ok = this.#ep.send(bytes, this.#now());
    this.#pump();
    return ok;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'quarantined') return;
    this.#state = 'closed';
    this.#stopTimers();
    await this.#o.transport.close();
  }

  #onBytes(b: Uint8Array): void {
    if (this.#state === 'closed' || this.#state === 'quarantined') return;
    const now = this.#now();
    this.#reads++;
    this.#ep.receiveBytes(b, now);
    // Link-level garbage (PROTOCOL.md §3.7.2): CRC, COBS/size and header errors.
    const s = this.#ep.stats;
    const seen = s.crcErrors + s.framingErrors + s.frameErrors;
    const fresh = seen - this.#seenErrors;
    this.#seenErrors = seen;
    this.#handleEvents();
    if (fresh > 0) this.#countErrors(fresh, 'link errors');
    this.#pump();
  }

  #countErrors(n: number, what: string): void {
    const inWindow = this.#errors.add(this.#now(), n);
    if (inWindow > this.#o.health.maxErrors) {
      this.#quarantine(`${inWindow} ${what} within ${this.#o.health.windowMs} ms`);
    }
  }

  #handleEvents(): void {
    for (const e of this.#ep.takeEvents()) {
      if (this.#state === 'quarantined' || this.#state === 'closed') return;
      switch (e.type) {
        case 'connected':
          this.#o.log.info('link up', { path: this.path, params: e.params });
          if (this.#state === 'connecting') this.#state = 'linked';
          break;
        case 'message':
          this.#onMessage(e.data);
          break;
        case 'peer-reset':
        case 'link-down': {
          const reason = e.type === 'peer-reset' ? 'peer reset' : `link down (${e.reason})`;
          this.#o.log.warn('link session ended', { path: this.path, reason, device: this.#hello?.deviceId });
          const had = this.#hello !== undefined;
          this.#hello = undefined;
          // PROTOCOL.md §4.2 item 4: a new link session is a new device session.
          this.#state = e.type === 'peer-reset' ? 'linked' : 'connecting';
          this.#armHelloTimer();
          if (had) this.#o.handlers.sessionLost(reason);
          break;
        }
        case 'peer-error':
          this.#o.log.warn('device sent a link ERROR frame', { path: this.path, code: e.name, text: e.text });
          break;
        case 'error':
        case 'writable':
        case 'stats':
          break;
      }
    }
  }

  #onMessage(raw: Uint8Array): void {
    let msg: Message;
    try {
      msg = decodeMessage(raw, { maxBytes: P.LINK_MAX_MESSAGE_BYTES });
    } catch (e) {
      // PROTOCOL.md §4.1.7: never act on a message that fails a check; count it as garbage.
      this.#decodeErrors++;
      this.#o.log.warn('undecodable device message', {
        path: this.path,
        code: isProtocolError(e) ? e.code : 'MALFORMED',
        error: errorText(e),
      });
      this.#countErrors(1, 'bad messages');
      return;
    }
    if (msg.type === 'HELLO') {
      this.#onHello(msg, raw);
      return;
    }
    if (this.#state !== 'ready') {
      // PROTOCOL.md §4.2 item 1: nothing but HELLO before HELLO_ACK.
      this.#o.log.debug('message before HELLO dropped', { path: this.path, type: msg.type });
      return;
    }
    this.#o.handlers.message(msg, raw);
  }

  #onHello(hello: Hello, raw: Uint8Array): void {
    const verdict = this.#o.handlers.hello(hello, raw);
    const id = crypto.getRandomValues(new Uint8Array(16));
    const now = Date.now();
    if (!verdict.ok) {
      this.#o.log.warn('HELLO refused', { path: this.path, device: hello.deviceId, code: verdict.code });
      this.#sendRaw({
        type: 'ERROR',
        id,
        ts: now,
        re: hello.id,
        code: codeOf(verdict.code),
        text: verdict.text,
      });
      return;
    }
    this.#clearHelloTimer();
    const first = this.#state !== 'ready';
    this.#hello = hello;
    this.#state = 'ready';
    // PROTOCOL.md §4.2.2: HELLO_ACK answers the HELLO (a repeated HELLO gets the same answer).
    this.#sendRaw({
      type: 'HELLO_ACK',
      id,
      ts: now,
      re: hello.id,
      name: verdict.name,
      time: now,
      ...(verdict.heartbeatMs !== undefined && { heartbeatMs: verdict.heartbeatMs }),
    });
    if (first)
      this.#o.log.info('device ready', { path: this.path, device: hello.deviceId, boot: hello.bootCounter });
  }

  #sendRaw(msg: Message): void {
    try {
      this.#ep.send(encodeMessage(msg), this.#now());
    } catch (e) {
      this.#o.log.error('cannot send to device', { path: this.path, type: msg.type, error: errorText(e) });
    }
  }

  #armHelloTimer(): void {
    this.#clearHelloTimer();
    const ms = this.#o.health.helloTimeoutMs;
    this.#helloTimer = setTimeout(() => this.#quarantine(`no HELLO within ${ms} ms`), ms);
    this.#helloTimer.unref?.();
  }

  #clearHelloTimer(): void {
    if (this.#helloTimer) clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  #quarantine(reason: string): void {
    if (this.#state === 'quarantined' || this.#state === 'closed') return;
    this.#state = 'quarantined';
    this.#stopTimers();
    this.#o.log.error('device quarantined', { path: this.path, reason, device: this.#hello?.deviceId });
    void this.#o.transport.close().catch(() => {});
    this.#o.handlers.quarantined(reason);
  }

  #onClosed(e: Error | undefined): void {
    if (this.#state === 'closed' || this.#state === 'quarantined') return;
    this.#state = 'closed';
    this.#stopTimers();
    this.#o.handlers.closed(e);
  }

  #stopTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clearHelloTimer();
  }

  /** Writes what the endpoint has, then re-arms the deadline timer (PROTOCOL.md §3.9 timers). */
  #pump(): void {
    if (this.#state === 'closed' || this.#state === 'quarantined') return;
    this.#handleEvents();
    void this.#flush();
    this.#schedule();
  }

  async #flush(): Promise<void> {
    if (this.#writing) {
      this.#dirty = true;
      return;
    }
    this.#writing = true;
    try {
      do {
        this.#dirty = false;
        // Pull about one window of frames at a time so each carries the newest ack (§3.5.3).
        const bytes = this.#ep.takeOutbox(this.#now(), 4096);
        this.#handleEvents();
        if (bytes.length === 0) break;
        this.#writes++;
        await this.#o.transport.write(bytes);
      } while (this.#state !== 'closed' && this.#state !== 'quarantined');
    } catch (e) {
      this.#o.log.warn('write failed', { path: this.path, error: errorText(e) });
    } finally {
      this.#writing = false;
    }
    if (this.#dirty) void this.#flush();
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const d = this.#ep.nextDeadlineMs();
    if (d === undefined) return;
    const wait = Math.max(0, Math.min(d - this.#now(), 60_000));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === 'closed' || this.#state === 'quarantined') return;
      this.#ep.poll(this.#now());
      this.#pump();
    }, wait);
  }
}

function codeOf(name: ErrorCodeName): number {
  return ErrorCode[name];
}
