/**
 * The live bus: what ingestion has just committed, for the SSE stream. In-process and synchronous; a
 * listener that throws is detached rather than allowed to break ingestion. `ota` events carry campaign and
 * execution progress; `block-request` hands a committed BLOCK_REQUEST to the block server (not streamed).
 */
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

  subscribe(fn: LiveListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  emit(e: LiveEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch {
        this.#listeners.delete(fn);
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
