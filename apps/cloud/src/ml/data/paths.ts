import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The data sets folder: `$TINYFLEET_DATASETS` when set, else `<repo root>/../shared/datasets`, where the repo
 * root is the nearest ancestor of this file whose package.json declares npm workspaces.
 */
export function defaultDatasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.TINYFLEET_DATASETS;
  if (fromEnv) return resolve(fromEnv);
  return resolve(repoRoot(), '..', 'shared', 'datasets');
}

export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; ) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"workspaces"\s*:/.test(readFileSync(pkg, 'utf8'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve(here, '../../../../..'); // apps/cloud/src/ml/data -> repo root
}
