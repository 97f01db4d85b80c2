/** Output side of an endpoint: control frames waiting to go, and frames joined into one write. */

const EMPTY = new Uint8Array(0);

export class Outbox {
  private control: Uint8Array[] = [];
  private lastOutAt: number | undefined;

  constructor(
    private readonly idleDelimiterMs: number,
    private readonly maxControl = 16,
  ) {}

  get hasControl(): boolean {
    return this.control.length > 0;
  }

  /** Queues a HELLO_ACK or ERROR frame; beyond `maxControl` waiting frames new ones are dropped. */
  push(frame: Uint8Array): void {
    if (this.control.length < this.maxControl) this.control.push(frame);
  }

  shift(): Uint8Array | undefined {
    return this.control.shift();
  }

  clear(): void {
    this.control = [];
  }

  /**
   * Takes frames from `next` until it has none or `maxBytes` is reached (always at least one frame),
   * and joins them. PROTOCOL.md §3.7.3: after `idleDelimiterMs` of silence the bytes start with 0x00.
   */
  collect(
    now: number,
    maxBytes: number,
    next: () => Uint8Array | undefined,
  ): { bytes: Uint8Array; frames: number } {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < maxBytes) {
      const f = next();
      if (!f) break;
      parts.push(f);
      total += f.length;
    }
    if (parts.length === 0) return { bytes: EMPTY, frames: 0 };
    const idle = this.lastOutAt === undefined || now - this.lastOutAt >= this.idleDelimiterMs;
    this.lastOutAt = now;
    const lead = idle && parts[0]![0] !== 0 ? 1 : 0;
    const bytes = new Uint8Array(lead + total);
    let at = lead;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { bytes, frames: parts.length };
  }
}
