/**
 * One direction of an emulated UART line in virtual time: 8N1 (10 bit times per byte), one-way latency,
 * and faults: byte errors, and loss, duplication or reordering of delimiter-terminated segments.
 */
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface UartLineOptions {
  readonly baud: number;
  /** One-way latency added to every byte (driver, USB bridge, cable), ms. */
  readonly latencyMs?: number;
  /** Probability that a byte arrives changed (XOR with a random non-zero value). */
  readonly byteErrorRate?: number;
  /** Probability that a segment (bytes up to and including a 0x00) is lost. */
  readonly frameLossRate?: number;
  /** Probability that a segment arrives twice. */
  readonly duplicateRate?: number;
  /** Probability that a segment is held back by up to `reorderDelayMs`, so later ones overtake it. */
  readonly reorderRate?: number;
  readonly reorderDelayMs?: number;
}

export interface UartChannelStats {
  bytes: number;
  segments: number;
  corruptedBytes: number;
  droppedSegments: number;
  duplicatedSegments: number;
  reorderedSegments: number;
}

export type UartSink = (bytes: Uint8Array, nowMs: number) => void;

export class UartChannel {
  readonly stats: UartChannelStats = {
    bytes: 0,
    segments: 0,
    corruptedBytes: 0,
    droppedSegments: 0,
    duplicatedSegments: 0,
    reorderedSegments: 0,
  };
  private opt: Required<UartLineOptions>;
  private busyUntil: number;
  private untilError: number;

  constructor(
    private readonly scheduler: Scheduler,
    options: UartLineOptions,
    private readonly rng: Prng,
    private readonly sink: UartSink,
  ) {
    this.opt = complete(options);
    this.busyUntil = scheduler.now;
    this.untilError = rng.geometric(this.opt.byteErrorRate);
  }

  get options(): Required<UartLineOptions> {
    return this.opt;
  }

  /** Changes line properties from now on (e.g. `frameLossRate: 1` cuts the line). */
  configure(options: Partial<UartLineOptions>): void {
    this.opt = complete({ ...this.opt, ...options });
    this.untilError = this.rng.geometric(this.opt.byteErrorRate);
  }

  /** Transmission time of one byte in ms. */
  get byteTimeMs(): number {
    return 10_000 / this.opt.baud;
  }

  /** When the transmitter has sent everything queued so far. */
  get idleAt(): number {
    return this.busyUntil;
  }

  /** Queues bytes behind those already sending; returns when the last of them leaves the transmitter. */
  transmit(bytes: Uint8Array): number {
    const bt = this.byteTimeMs;
    let t = Math.max(this.scheduler.now, this.busyUntil);
    let from = 0;
    while (from < bytes.length) {
      const z = bytes.indexOf(0, from);
      const to = z < 0 ? bytes.length : z + 1;
      const seg = bytes.slice(from, to);
      t += seg.length * bt;
      this.carry(seg, t);
      from = to;
    }
    this.busyUntil = t;
    return t;
  }

  private carry(seg: Uint8Array, sentAt: number): void {
    const o = this.opt;
    const s = this.stats;
    s.bytes += seg.length;
    s.segments++;
    let pos = this.untilError;
    while (pos < seg.length) {
      seg[pos] = seg[pos]! ^ (1 + this.rng.int(255));
      s.corruptedBytes++;
      pos += 1 + this.rng.geometric(o.byteErrorRate);
    }
    this.untilError = pos - seg.length;
    if (this.rng.chance(o.frameLossRate)) {
      s.droppedSegments++;
      return;
    }
    let at = sentAt + o.latencyMs;
    if (this.rng.chance(o.reorderRate)) {
      s.reorderedSegments++;
      at += this.rng.float() * o.reorderDelayMs;
    }
    this.scheduler.at(at, () => this.sink(seg, at));
    if (this.rng.chance(o.duplicateRate)) {
      s.duplicatedSegments++;
      const copy = seg.slice();
      this.scheduler.at(at, () => this.sink(copy, at));
    }
  }
}

function complete(o: UartLineOptions): Required<UartLineOptions> {
  if (!(o.baud > 0)) throw new RangeError(`baud ${o.baud}`);
  return {
    baud: o.baud,
    latencyMs: o.latencyMs ?? 0,
    byteErrorRate: o.byteErrorRate ?? 0,
    frameLossRate: o.frameLossRate ?? 0,
    duplicateRate: o.duplicateRate ?? 0,
    reorderRate: o.reorderRate ?? 0,
    reorderDelayMs: o.reorderDelayMs ?? 10,
  };
}
