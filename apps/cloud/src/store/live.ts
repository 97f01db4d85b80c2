/**
 * The live bus: what ingestion has just committed, for the SSE stream. In-process and synchronous; a
 * listener that throws is detached rather than allowed to break ingestion. `ota` events carry campaign and
 * execution progress, `job` events cloud jobs' progress; `block-request` hands a committed BLOCK_REQUEST to the block server (not streamed).
 */
import type { JobProgress, JobStatus } from './repo/jobs.js';
import type { GradientUpdate, MetricPoint } from './types.js';

export type LiveEvent =
  | { type: 'presence'; gatewayId: string; deviceId?: string; online: boolean; tsMs: number }
  | { type: 'metrics'; point: MetricPoint }
  | { type: 'gradient'; update: GradientUpdate }
  | {
      type: 'ota';
      /** `execution`: a device's execution changed state; `campaign`: the campaign's status or phase. */
      kind: 'execution' | 'campaign';
      campaignId: string;
      gatewayId?: string;
      deviceId?: string;
      state: string;
      phase: number;
      error?: string | null;
      tsMs: number;
    }
  | {
      /** A cloud job (apps/cloud/src/jobs) was queued, progressed or ended. */
      type: 'job';
      jobId: string;
      name: string;
      status: JobStatus;
      progress: JobProgress;
      tsMs: number;
    }
  | {
      type: 'block-request';
      gatewayId: string;
      msgId: Uint8Array;
      objectId: string;
      size: number;
      blockSize: number;
      wanted: Uint8Array;
    };

export type LiveListener = (e: LiveEvent) => void;

export class LiveBus {
  readonly #listeners = new Set<LiveListener>();
  /** The event types each listener declared it wants; a listener absent here wants every type. */
  readonly #types = new Map<LiveListener, ReadonlySet<LiveEvent['type']>>();

  /**
   * `types`: the only event types `fn` cares about (it is still called with every event). Declaring them
   * lets producers skip building events nobody reads (`wants`), e.g. gradient updates ingested in the
   * worker thread, which would otherwise be copied across threads for every message.
   */
  subscribe(fn: LiveListener, types?: readonly LiveEvent['type'][]): () => void {
    this.#listeners.add(fn);
    if (types) this.#types.set(fn, new Set(types));
    return () => {
      this.#listeners.delete(fn);
      this.#types.delete(fn);
    };
  }

  /** Whether some listener wants events of this type. */
  wants(type: LiveEvent['type']): boolean {
    for (const fn of this.#listeners) if (this.#types.get(fn)?.has(type) ?? true) return true;
    return false;
  }

  emit(e: LiveEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch {
        this.#listeners.delete(fn);
        this.#types.delete(fn);
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
