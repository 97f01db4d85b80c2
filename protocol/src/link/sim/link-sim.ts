/**
 * Two link endpoints joined by an emulated full-duplex UART, in virtual time (PROTOCOL.md §3).
 *
 * Each side pulls one frame (`pullBytes`) from its endpoint whenever its transmitter runs dry, as a
 * UART driver with a TX-empty interrupt or DMA completion would; received segments are handed over
 * when their last byte arrives; endpoint timers run at `nextDeadlineMs()`. Deterministic for a seed.
 */
import { LinkEndpoint } from '../endpoint.js';
import type { LinkEndpointOptions, LinkEvent } from '../types.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { UartChannel, type UartLineOptions } from './uart.js';

export type Side = 'a' | 'b';

/** What the simulator needs from an endpoint; LinkEndpoint implements it. */
export interface SimEndpoint {
  receiveBytes(bytes: Uint8Array, nowMs: number): void;
  poll(nowMs: number): void;
  takeOutbox(nowMs: number, maxBytes?: number): Uint8Array;
  nextDeadlineMs(): number | undefined;
  takeEvents(): LinkEvent[];
}

export interface SimEvent {
  readonly side: Side;
  readonly atMs: number;
  readonly event: LinkEvent;
}

export interface LinkSimOptions {
  readonly seed?: number;
  /** Line properties of both directions ... */
  readonly line: UartLineOptions;
  /** ... unless overridden for b -> a. */
  readonly lineBtoA?: UartLineOptions;
  readonly a?: LinkEndpointOptions;
  readonly b?: LinkEndpointOptions;
  /** Bytes requested per pull when a transmitter runs dry (1: one frame at a time). */
  readonly pullBytes?: number;
  /** Keep every event in `events` (default true). */
  readonly record?: boolean;
  readonly onEvent?: (e: SimEvent, sim: LinkSim) => void;
}

interface Node {
  ep: SimEndpoint;
  txArmed: boolean;
  timerAt: number | undefined;
  timerToken: number;
}

export class LinkSim {
  readonly scheduler = new Scheduler();
  readonly rng: Prng;
  /** Channel transmitting from each side. */
  readonly lines: Record<Side, UartChannel>;
  readonly events: SimEvent[] = [];
  private readonly inbox: Record<Side, Uint8Array[]> = { a: [], b: [] };
  private readonly nodes: Record<Side, Node>;
  private readonly opt: LinkSimOptions;

  constructor(options: LinkSimOptions) {
    this.opt = options;
    this.rng = new Prng(options.seed ?? 1);
    const lineRng = { a: this.rng.fork(), b: this.rng.fork() };
    this.nodes = {
      a: { ep: this.newEndpoint(options.a), txArmed: false, timerAt: undefined, timerToken: 0 },
      b: { ep: this.newEndpoint(options.b), txArmed: false, timerAt: undefined, timerToken: 0 },
    };
    const s = this.scheduler;
    this.lines = {
      a: new UartChannel(s, options.line, lineRng.a, (bytes, t) => this.deliver('b', bytes, t)),
      b: new UartChannel(s, options.lineBtoA ?? options.line, lineRng.b, (bytes, t) =>
        this.deliver('a', bytes, t),
      ),
    };
    s.at(0, () => {
      this.kick('a');
      this.kick('b');
    });
  }

  get now(): number {
    return this.scheduler.now;
  }

  endpoint(side: Side): SimEndpoint {
    return this.nodes[side].ep;
  }

  /** The side's endpoint as a LinkEndpoint (throws if a custom endpoint was installed). */
  link(side: Side): LinkEndpoint {
    const ep = this.nodes[side].ep;
    if (!(ep instanceof LinkEndpoint)) throw new TypeError(`side ${side} is not a LinkEndpoint`);
    return ep;
  }

  /** Queues a message on a side's endpoint now. */
  send(side: Side, message: Uint8Array): boolean {
    const ok = this.link(side).send(message, this.now);
    this.kick(side);
    return ok;
  }

  /** Replaces a side's endpoint, e.g. to emulate a reboot; bytes already on the wire still arrive. */
  replace(side: Side, ep: SimEndpoint | LinkEndpointOptions = {}): SimEndpoint {
    const n = this.nodes[side];
    n.ep = isEndpoint(ep) ? ep : this.newEndpoint(ep);
    n.timerToken++;
    n.timerAt = undefined;
    this.scheduler.at(this.now, () => this.kick(side));
    return n.ep;
  }

  /** Runs for `ms` of virtual time. */
  run(ms: number): void {
    this.scheduler.runUntil(this.now + ms);
  }

  /** Runs until `done()` holds (checked after every event) or `maxMs` pass; returns `done()`. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs;
    const s = this.scheduler;
    while (!done()) {
      const next = s.peek();
      if (next === undefined || next > end) {
        s.runUntil(end);
        return done();
      }
      s.step();
    }
    return true;
  }

  /** Messages delivered to `side` so far (kept when `record` is on). */
  received(side: Side): readonly Uint8Array[] {
    return this.inbox[side];
  }

  private newEndpoint(o: LinkEndpointOptions | undefined): LinkEndpoint {
    const rng = this.rng.fork();
    return new LinkEndpoint({ nonce: () => rng.u32(), ...o });
  }

  private deliver(side: Side, bytes: Uint8Array, t: number): void {
    this.nodes[side].ep.receiveBytes(bytes, t);
    this.kick(side);
  }

  /** After anything happened to a side: pull output, hand out events, re-arm its timer. */
  private kick(side: Side): void {
    this.pump(side);
    const n = this.nodes[side];
    const evs = n.ep.takeEvents();
    for (const event of evs) {
      const e: SimEvent = { side, atMs: this.now, event };
      if (this.opt.record !== false) {
        this.events.push(e);
        if (event.type === 'message') this.inbox[side].push(event.data);
      }
      this.opt.onEvent?.(e, this);
    }
    this.arm(side);
  }

  private pump(side: Side): void {
    const n = this.nodes[side];
    if (n.txArmed) return;
    const out = n.ep.takeOutbox(this.now, this.opt.pullBytes ?? 1);
    if (out.length === 0) return;
    const end = this.lines[side].transmit(out);
    n.txArmed = true;
    this.scheduler.at(end, () => {
      n.txArmed = false;
      this.kick(side);
    });
  }

  private arm(side: Side): void {
    const n = this.nodes[side];
    const d = n.ep.nextDeadlineMs();
    if (d === undefined) {
      n.timerAt = undefined;
      return;
    }
    const t = Math.max(d, this.now);
    if (n.timerAt === t) return;
    n.timerAt = t;
    const token = ++n.timerToken;
    this.scheduler.at(t, () => {
      if (token !== n.timerToken) return;
      n.timerAt = undefined;
      n.ep.poll(this.now);
      this.kick(side);
    });
  }
}

function isEndpoint(x: SimEndpoint | LinkEndpointOptions): x is SimEndpoint {
  return typeof (x as SimEndpoint).receiveBytes === 'function';
}
