/**
 * Streaming deframer (PROTOCOL.md §3.7): splits a byte stream at 0x00 delimiters and decodes each frame.
 * It never throws: bad frames are returned as failures and counted, and decoding resumes at the next
 * delimiter, which is how the link resynchronises after line noise.
 */
import { type ErrorCodeName, P } from '../constants/index.js';
import { isProtocolError } from '../errors.js';
import { type Frame, maxEncodedFrameBytes, parseFrame, unframe } from './frame.js';

/** Why a frame was dropped. `afterCrc` is true when the CRC was good (the peer sent it as is, §3.8.2). */
export interface DecodeFailure {
  readonly code: ErrorCodeName;
  readonly message: string;
  readonly afterCrc: boolean;
  /** Header byte 1 when the CRC was good. */
  readonly rawType?: number;
}

export type DeframeResult =
  | { readonly ok: true; readonly frame: Frame }
  | { readonly ok: false; readonly failure: DecodeFailure };

export interface DeframerCounters {
  /** Frames decoded. */
  frames: number;
  /** Frames dropped, any reason. */
  dropped: number;
  /** Dropped by code (CRC_MISMATCH, TRUNCATED, ...). */
  readonly byCode: Partial<Record<ErrorCodeName, number>>;
  /** Wire bytes that belonged to dropped frames (noise included). */
  discardedBytes: number;
}

export class Deframer {
  readonly counters: DeframerCounters = { frames: 0, dropped: 0, byCode: {}, discardedBytes: 0 };
  private readonly maxPayload: number;
  private readonly buf: Uint8Array;
  private readonly scratch: Uint8Array;
  private len = 0;
  private overflow = 0;

  /** `maxPayload`: largest frame payload accepted (longer frames are dropped as TOO_LARGE unread). */
  constructor(maxPayload: number = P.LINK_MAX_FRAME_PAYLOAD) {
    this.maxPayload = maxPayload;
    this.buf = new Uint8Array(maxEncodedFrameBytes(maxPayload));
    this.scratch = new Uint8Array(this.buf.length);
  }

  /** Bytes of an incomplete frame held until the next delimiter. */
  get pendingBytes(): number {
    return this.len + this.overflow;
  }

  /** Feeds bytes; returns one result per delimiter that closed a non-empty frame. Never throws. */
  push(bytes: Uint8Array): DeframeResult[] {
    const out: DeframeResult[] = [];
    let i = 0;
    while (i < bytes.length) {
      const z = bytes.indexOf(0, i);
      const end = z < 0 ? bytes.length : z;
      this.append(bytes, i, end);
      if (z < 0) break;
      const r = this.finish();
      if (r) out.push(r);
      i = z + 1;
    }
    return out;
  }

  private append(bytes: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n === 0) return;
    if (this.overflow > 0 || this.len + n > this.buf.length) {
      // PROTOCOL.md §3.7.1: longer than any valid frame; discard up to the next delimiter.
      this.overflow += this.len + n;
      this.len = 0;
      return;
    }
    this.buf.set(bytes.subarray(from, to), this.len);
    this.len += n;
  }

  private finish(): DeframeResult | undefined {
    if (this.overflow > 0) {
      const n = this.overflow;
      this.overflow = 0;
      return this.fail({ code: 'TOO_LARGE', message: `frame of ${n}+ bytes`, afterCrc: false }, n);
    }
    const n = this.len;
    this.len = 0;
    if (n === 0) return undefined; // PROTOCOL.md §3.7.1: empty frames are ignored
    const encoded = this.buf.subarray(0, n);
    let body: Uint8Array;
    try {
      body = unframe(encoded, this.maxPayload, this.scratch);
    } catch (e) {
      return this.fail(failureOf(e, false), n);
    }
    try {
      const frame = parseFrame(body);
      this.counters.frames++;
      return { ok: true, frame };
    } catch (e) {
      return this.fail({ ...failureOf(e, true), rawType: body[1] }, n);
    }
  }

  private fail(failure: DecodeFailure, wireBytes: number): DeframeResult {
    const c = this.counters;
    c.dropped++;
    c.byCode[failure.code] = (c.byCode[failure.code] ?? 0) + 1;
    c.discardedBytes += wireBytes + 1;
    return { ok: false, failure };
  }
}

function failureOf(e: unknown, afterCrc: boolean): DecodeFailure {
  if (isProtocolError(e)) return { code: e.code, message: e.message, afterCrc };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), afterCrc: false };
}
