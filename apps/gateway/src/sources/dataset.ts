/**
 * Sources backed by a data set (`@tinyfleet/cloud/data`): MNIST, FSDD, CSV windows, PNG folders, and
 * the synthetic set. The data set is loaded on the first session that needs it (and again after a
 * failure, so that fixing the data folder needs no restart). Each session reads one split in a seeded
 * order (a new permutation per epoch) and gets uint8 samples in the model input's quantization (§4.3).
 */
import { resolve } from 'node:path';
import {
  type Dataset,
  DatasetError,
  defaultDatasetsDir,
  isRawSplit,
  loadDataset,
} from '@tinyfleet/cloud/data';
import { errorText } from '../errors.js';
import { invertRaw, quantize, SeededOrder, sameEncoding } from './quantize.js';
import { syntheticDataset } from './synthetic.js';
import {
  type DatasetConfig,
  type InputConfig,
  type ModelInputHint,
  type SampleSource,
  type SessionFeed,
  SourceError,
  type SyntheticConfig,
  sameShape,
} from './types.js';

export type DatasetLoader = () => Promise<Dataset>;

/** How a configured data set is read. */
export function loaderFor(c: DatasetConfig): DatasetLoader {
  const layout = c.layout === undefined ? {} : { layout: c.layout };
  switch (c.type) {
    case 'mnist':
    case 'fsdd':
      return () => loadDataset(c.type, { dir: c.dir ?? defaultDatasetsDir(), ...layout });
    case 'csv':
      return () => loadDataset(`csv:${resolve(c.path ?? '')}`, { seed: c.seed, ...layout });
    case 'png':
      return () =>
        loadDataset(`png:${resolve(c.path ?? '')}`, {
          seed: c.seed,
          ...(c.channels !== undefined && { png: { channels: c.channels } }),
        });
  }
}

export function datasetSource(c: DatasetConfig, load: DatasetLoader = loaderFor(c)): SampleSource {
  return new DatasetSource(c.name, c.type, c.split, c.seed, c.transform, c.input ?? {}, load);
}

export function syntheticSource(c: SyntheticConfig): SampleSource {
  const ds = syntheticDataset(c);
  return new DatasetSource(c.name, 'synthetic', 'train', c.seed, undefined, c.input ?? {}, async () => ds);
}

class DatasetSource implements SampleSource {
  #loading: Promise<Dataset> | undefined;
  #loaded: Dataset | undefined;
  #sessions = 0;
  #lastError: string | undefined;

  constructor(
    readonly name: string,
    readonly type: SampleSource['type'],
    readonly split: 'train' | 'test',
    readonly seed: number,
    readonly transform: 'invert' | undefined,
    readonly input: InputConfig,
    readonly load: DatasetLoader,
  ) {}

  stats() {
    return {
      type: this.type,
      loaded: this.#loaded !== undefined,
      ...(this.#loaded && { size: this.#loaded[this.split].size, shape: this.#loaded.inputShape.join('x') }),
      sessions: this.#sessions,
      ...(this.#lastError !== undefined && { error: this.#lastError }),
    };
  }

  async #dataset(): Promise<Dataset> {
    this.#loading ??= this.load();
    try {
      this.#loaded = await this.#loading;
      this.#lastError = undefined;
      return this.#loaded;
    } catch (e) {
      this.#loading = undefined;
      const what = e instanceof DatasetError && e.code === 'not_found' ? 'data set not found' : 'cannot load';
      const hint =
        this.type === 'mnist' || this.type === 'fsdd' ? ' (set sources[].dir or $TINYFLEET_DATASETS)' : '';
      this.#lastError = `source ${this.name} (${this.type}): ${what}: ${errorText(e)}${hint}`;
      throw new SourceError('BAD_STATE', this.#lastError, { cause: e });
    }
  }

  async open(hint: ModelInputHint): Promise<SessionFeed> {
    const ds = await this.#dataset();
    const split = ds[this.split];
    const name = this.name;
    if (split.size === 0)
      throw new SourceError('BAD_STATE', `source ${name}: the ${this.split} split is empty`);
    if (ds.numClasses > 256)
      throw new SourceError('INCOMPATIBLE', `source ${name}: ${ds.numClasses} classes (labels are uint8)`);
    const want = hint.shape ?? this.input.shape;
    if (want && !sameShape(want, ds.inputShape))
      throw new SourceError(
        'INCOMPATIBLE',
        `source ${name} gives samples of shape [${ds.inputShape}], the model input is [${want}]`,
      );
    const enc = ds.inputEncoding;
    const scale = hint.scale ?? this.input.scale ?? enc?.scale;
    const zeroPoint = hint.zeroPoint ?? this.input.zeroPoint ?? enc?.zeroPoint;
    if (scale === undefined || zeroPoint === undefined)
      throw new SourceError(
        'BAD_FIELD',
        `source ${name} has float inputs: give the model input's scale and zero point (args xs, xz or sources[].input)`,
      );
    if (this.transform === 'invert' && !enc)
      throw new SourceError('BAD_FIELD', `source ${name}: transform "invert" needs 8-bit image data`);
    // Raw bytes go out untouched when they already are in the model input's encoding (no rounding).
    const raw = enc && isRawSplit(split) && sameEncoding(enc, { scale, zeroPoint }) ? split : undefined;
    const invert = this.transform === 'invert';
    // Inversion in the data's own range: x' = lo + hi - x, with lo, hi the values of raw 0 and 255.
    const flip = enc ? (255 - 2 * enc.zeroPoint) * enc.scale : 0;
    const order = new SeededOrder(split.size, this.seed);
    this.#sessions++;
    let open = true;
    return {
      source: name,
      shape: [...ds.inputShape],
      classes: ds.numClasses,
      size: split.size,
      scale,
      zeroPoint,
      available: () => Number.POSITIVE_INFINITY,
      sample(seq) {
        const k = order.at(seq);
        const s = split.get(k);
        if (raw) {
          const x = raw.getRaw(k);
          return { x: invert ? invertRaw(x) : x, y: s.y };
        }
        const x = s.x;
        if (invert) for (let i = 0; i < x.length; i++) x[i] = flip - (x[i] ?? 0);
        return { x: quantize(x, scale, zeroPoint), y: s.y };
      },
      release: () => {},
      close: () => {
        if (open) this.#sessions--;
        open = false;
      },
    };
  }
}
