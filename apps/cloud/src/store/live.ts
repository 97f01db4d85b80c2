/**
 * The live bus: what ingestion has just committed, for the SSE stream. In-process and synchronous; a
 * listener that throws is detached rather than allowed to break ingestion.
 */
import type { GradientUpdate, MetricPoint } from './types.js';

export type LiveEvent =
  | { type: 'presence'; gatewayId: string; deviceId?: string; online: boolean; tsMs: number }
  | { type: 'metrics'; point: MetricPoint }
  | { type: 'gradient'; update: GradientUpdate };

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
