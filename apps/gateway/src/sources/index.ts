/** Data sources for training sessions (PROTOCOL.md §4.3): data sets, synthetic, and live samples. */
import { datasetSource, syntheticSource } from './dataset.js';
import { LiveSource } from './live.js';
import type { SampleSource, SourceConfig } from './types.js';

export { datasetSource, loaderFor, syntheticSource } from './dataset.js';
export { type LiveSample, LiveSource, parseLiveSamples } from './live.js';
export {
  LiveMqttFeed,
  LiveMqttFeeds,
  type LiveMqttState,
  type LiveMqttStats,
  REJECT_LOG,
} from './live-mqtt.js';
export { dequantize, quantize, SeededOrder, sameEncoding } from './quantize.js';
export { syntheticDataset } from './synthetic.js';
export * from './types.js';

export function createSource(c: SourceConfig): SampleSource {
  if (c.type === 'synthetic') return syntheticSource(c);
  if (c.type === 'live') return new LiveSource(c);
  return datasetSource(c);
}

/** The configured sources by name. */
export class SourceSet {
  readonly #byName = new Map<string, SampleSource>();

  constructor(configs: readonly SourceConfig[]) {
    for (const c of configs) this.#byName.set(c.name, createSource(c));
  }

  get(name: string): SampleSource | undefined {
    return this.#byName.get(name);
  }

  /** Every live source, in config order. */
  liveSources(): LiveSource[] {
    return [...this.#byName.values()].filter((s): s is LiveSource => s instanceof LiveSource);
  }

  /** The live source of that name (or the only live source when `name` is undefined). */
  live(name?: string): LiveSource | undefined {
    const all = this.liveSources();
    if (name === undefined) return all.length === 1 ? all[0] : undefined;
    return all.find((s) => s.name === name);
  }

  stats(): Record<string, Record<string, number | string | boolean>> {
    return Object.fromEntries([...this.#byName].map(([k, s]) => [k, s.stats()]));
  }
}
