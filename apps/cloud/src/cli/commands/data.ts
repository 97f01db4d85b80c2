/** Data set loading shared by commands (the loaders live in ml/data, imported lazily). */
import type { Dataset } from '../../ml/data/types.js';
import type { CliIo } from '../io.js';

export async function loadData(name: string, dir: string | undefined, env: CliIo['env']): Promise<Dataset> {
  const data = await import('../../ml/data/index.js');
  return data.loadDataset(name, { dir: dir ?? data.defaultDatasetsDir(env as NodeJS.ProcessEnv) });
}

/** The first `limit` samples of a split (for quick runs). */
export function limitSplit(split: Dataset['train'], limit: number | undefined): Dataset['train'] {
  if (limit === undefined || limit >= split.size) return split;
  return { size: limit, get: (i) => split.get(i) };
}
