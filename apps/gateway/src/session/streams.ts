/**
 * The sample streams of the training sessions this gateway runs (PROTOCOL.md §4.3), one per (device,
 * session id), with their durable record (outbox/sessions.ts, §4.4.8): written when a session starts,
 * its progress saved at most every `saveEveryMs`, deleted when the session has ended. A daemon that
 * stops (cleanly or not) keeps the records, so its next start resumes the streams (resume.ts).
 */
import type { Logger } from '../log/index.js';
import type { SessionJournal, SessionSpec } from '../outbox/index.js';
import type { SampleStreamer } from './streamer.js';

/** A session streaming to a device, or one whose stream failed (kept for the status endpoint). */
export interface SessionInfo {
  device: string;
  sid: number;
  source: string;
  progress: SampleStreamer['progress'];
  error?: string;
}

const keyOf = (device: string, sid: number) => `${device}:${sid}`;
const deviceOf = (key: string) => key.slice(0, key.lastIndexOf(':'));

export class Streams {
  readonly #streams = new Map<string, { streamer: SampleStreamer; spec: SessionSpec; boot?: number }>();
  /** The latest failed streams (device:sid -> reason), newest last, at most 16. */
  readonly #failed = new Map<string, SessionInfo>();
  readonly #journal: SessionJournal | undefined;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: { journal?: SessionJournal; log: Logger; saveEveryMs?: number }) {
    this.#journal = o.journal;
    this.#log = o.log;
    if (o.journal) {
      this.#timer = setInterval(() => this.save(), o.saveEveryMs ?? 1000);
      this.#timer.unref();
    }
  }

  get journal(): SessionJournal | undefined {
    return this.#journal;
  }

  get sessions(): SessionInfo[] {
    const running = [...this.#streams.entries()].map(([k, s]) => ({
      device: deviceOf(k),
      sid: s.streamer.sessionId,
      source: s.spec.source,
      progress: s.streamer.progress,
    }));
    return [...running, ...this.#failed.values()];
  }

  get(device: string, sid: number): SampleStreamer | undefined {
    return this.#streams.get(keyOf(device, sid))?.streamer;
  }

  /** What started the session `sid` of `device`, and the device's boot counter then, while it streams. */
  spec(device: string, sid: number): { spec: SessionSpec; boot?: number } | undefined {
    return this.#streams.get(keyOf(device, sid));
  }

  /** The streams of one device. */
  of(device: string): SampleStreamer[] {
    return [...this.#streams.entries()].filter(([k]) => deviceOf(k) === device).map(([, s]) => s.streamer);
  }

  /**
   * A stream that is about to start (or resume): kept here, and recorded durably with `spec` before the
   * device hears of the session, so a crash at any later point leaves a record to resume from (§4.4.8).
   */
  add(device: string, streamer: SampleStreamer, spec: SessionSpec, boot: number | undefined): void {
    const key = keyOf(device, streamer.sessionId);
    this.#streams.set(key, { streamer, spec, ...(boot !== undefined && { boot }) });
    this.#failed.delete(key);
    this.#journal?.put({ device, sid: streamer.sessionId, spec, boot, progress: streamer.progress });
  }

  /** The session has ended on the device (or never started): its stream stops and its record goes. */
  end(device: string, sid: number, error?: string): void {
    const key = keyOf(device, sid);
    const s = this.#streams.get(key);
    s?.streamer.stop();
    this.#streams.delete(key);
    this.#journal?.remove(device, sid);
    if (error !== undefined)
      this.failed({ device, sid, source: s?.spec.source ?? '', progress: s?.streamer.progress, error });
  }

  /** Records a failed session for the status endpoint. */
  failed(o: {
    device: string;
    sid: number;
    source: string;
    progress?: SessionInfo['progress'];
    error: string;
  }) {
    const key = keyOf(o.device, o.sid);
    this.#log.error('sample stream failed', { key, error: o.error });
    this.#failed.delete(key);
    this.#failed.set(key, {
      device: o.device,
      sid: o.sid,
      source: o.source,
      progress: o.progress ?? { next: 0, limit: 0, acked: 0, batches: 0 },
      error: o.error,
    });
    for (const k of this.#failed.keys()) if (this.#failed.size > 16) this.#failed.delete(k);
  }

  /** Ends every stream of `device` (its sessions are gone: a reboot, INCOMPATIBLE samples). */
  endDevice(device: string, error?: string): void {
    for (const s of this.of(device)) this.end(device, s.sessionId, error);
  }

  /** Saves the progress of every stream (bounded rate: called by the timer, and at stop). */
  save(): void {
    try {
      this.#journal?.progress(
        [...this.#streams.entries()].map(([k, s]) => ({
          device: deviceOf(k),
          sid: s.streamer.sessionId,
          progress: s.streamer.progress,
        })),
      );
    } catch (e) {
      this.#log.warn('cannot save session progress', { error: String(e) });
    }
  }

  /** The daemon stops: the streams stop, their records stay for the next start (§4.4.8). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.save();
    for (const s of this.#streams.values()) s.streamer.stop();
    this.#streams.clear();
  }
}
