/**
 * The `live` source: labelled samples pushed while sessions run (HTTP `POST /samples` on the status
 * server, and messages on a site-local MQTT topic, ./live-mqtt.ts). Each running session of the source gets every sample in its own bounded queue; when a queue
 * is full the oldest sample is dropped and counted. Samples handed to the streamer are kept until the
 * device acknowledges them (SAMPLE_CREDIT `next`), so a resend after a gap sends the same bytes (§4.3
 * item 3).
 */
import { quantize } from './quantize.js';
import {
  elements,
  type LabelledSample,
  type LiveConfig,
  type ModelInputHint,
  type SampleSource,
  type SessionFeed,
  SourceError,
  sameShape,
} from './types.js';

/** A sample as received: float values (encoding `float`) or bytes (encoding `uint8`). */
export interface LiveSample {
  readonly x: Float32Array | Uint8Array;
  readonly y: number;
}

/**
 * Validates a request body, `{x, y}` or `{samples: [{x, y}, ...]}` (at most 1024), against the
 * source's shape, classes and encoding. Throws SourceError BAD_FIELD / OUT_OF_RANGE naming the sample.
 */
export function parseLiveSamples(body: unknown, c: LiveConfig): LiveSample[] {
  if (body === null || typeof body !== 'object') throw new SourceError('BAD_FIELD', 'body: object expected');
  const b = body as Record<string, unknown>;
  const list = b.samples === undefined ? [{ x: b.x, y: b.y }] : b.samples;
  if (!Array.isArray(list) || list.length === 0 || list.length > 1024)
    throw new SourceError('BAD_FIELD', 'samples: array of 1..1024 samples expected');
  const len = elements(c.shape);
  return list.map((s: unknown, i) => {
    const at = b.samples === undefined ? '' : `samples[${i}].`;
    if (s === null || typeof s !== 'object') throw new SourceError('BAD_FIELD', `${at}: object expected`);
    const { x, y } = s as { x?: unknown; y?: unknown };
    if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= c.classes)
      throw new SourceError('OUT_OF_RANGE', `${at}y: an integer class in 0..${c.classes - 1} expected`);
    if (!Array.isArray(x) || x.length !== len)
      throw new SourceError(
        'BAD_FIELD',
        `${at}x: ${len} numbers expected (shape [${c.shape}]), got ${Array.isArray(x) ? x.length : typeof x}`,
      );
    const out = c.encoding === 'uint8' ? new Uint8Array(len) : new Float32Array(len);
    for (let p = 0; p < len; p++) {
      const v: unknown = x[p];
      const ok =
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (c.encoding === 'float' || (Number.isInteger(v) && v >= 0 && v <= 255));
      if (!ok)
        throw new SourceError(
          'BAD_FIELD',
          `${at}x[${p}]: ${c.encoding === 'uint8' ? 'an integer in 0..255' : 'a finite number'} expected`,
        );
      out[p] = v as number;
    }
    return { x: out, y };
  });
}

/**
 * One session's feed. Sequence numbers are consecutive from the first one asked for: 0 for a new
 * session, the device's own count for a session resumed after a gateway restart (PROTOCOL.md §4.4.8;
 * what was queued in memory then is gone, the session goes on with the samples posted since).
 */
class LiveFeed implements SessionFeed {
  readonly #queue: LiveSample[] = [];
  readonly #pending = new Map<number, LabelledSample>();
  #next = 0;
  #started = false;
  dropped = 0;

  constructor(
    readonly source: string,
    readonly shape: readonly number[],
    readonly classes: number,
    readonly scale: number,
    readonly zeroPoint: number,
    readonly capacity: number,
    readonly onClose: (f: LiveFeed) => void,
  ) {}

  readonly size = 0;

  push(s: LiveSample): void {
    if (this.#queue.length >= this.capacity) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push(s);
  }

  get queued(): number {
    return this.#queue.length;
  }

  available(seq: number): number {
    if (!this.#started) return this.#queue.length;
    return Math.max(0, this.#next - seq) + this.#queue.length;
  }

  sample(seq: number): LabelledSample {
    const kept = this.#pending.get(seq);
    if (kept) return kept;
    if (!this.#started && this.#queue.length > 0) {
      this.#next = seq;
      this.#started = true;
    }
    const s = seq === this.#next ? this.#queue.shift() : undefined;
    if (!s) throw new RangeError(`live sample ${seq} is not available`);
    const x = s.x instanceof Uint8Array ? s.x : quantize(s.x, this.scale, this.zeroPoint);
    const out = { x, y: s.y };
    this.#pending.set(seq, out);
    this.#next++;
    return out;
  }

  release(seq: number): void {
    for (const k of this.#pending.keys()) if (k < seq) this.#pending.delete(k);
  }

  close(): void {
    this.onClose(this);
  }
}

export class LiveSource implements SampleSource {
  readonly type = 'live' as const;
  readonly #feeds = new Set<LiveFeed>();
  #received = 0;
  #dropped = 0;
  #unused = 0;

  constructor(readonly config: LiveConfig) {}

  get name(): string {
    return this.config.name;
  }

  stats() {
    let queued = 0;
    let dropped = this.#dropped;
    for (const f of this.#feeds) {
      queued += f.queued;
      dropped += f.dropped;
    }
    return {
      type: this.type,
      sessions: this.#feeds.size,
      received: this.#received,
      queued,
      dropped,
      unused: this.#unused,
    };
  }

  /** Queues validated samples for every open session; samples with no session to take them are counted `unused`. */
  push(samples: readonly LiveSample[]): { accepted: number; sessions: number } {
    this.#received += samples.length;
    if (this.#feeds.size === 0) this.#unused += samples.length;
    for (const f of this.#feeds) for (const s of samples) f.push(s);
    return { accepted: samples.length, sessions: this.#feeds.size };
  }

  async open(hint: ModelInputHint): Promise<SessionFeed> {
    const c = this.config;
    const want = hint.shape ?? c.input?.shape;
    if (want && !sameShape(want, c.shape))
      throw new SourceError(
        'INCOMPATIBLE',
        `source ${c.name} gives samples of shape [${c.shape}], the model input is [${want}]`,
      );
    const scale = hint.scale ?? c.input?.scale;
    const zeroPoint = hint.zeroPoint ?? c.input?.zeroPoint;
    if (scale === undefined || zeroPoint === undefined)
      throw new SourceError(
        'BAD_FIELD',
        `source ${c.name}: give the model input's scale and zero point (args xs, xz or sources[].input)`,
      );
    const feed = new LiveFeed(c.name, c.shape, c.classes, scale, zeroPoint, c.queue, (f) => {
      if (this.#feeds.delete(f)) this.#dropped += f.dropped;
    });
    this.#feeds.add(feed);
    return feed;
  }
}
