/** Runs `onnx.checker.check_model(full_check=True)` through Debian's python3-onnx when available. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON, pythonLacks, TORCH_SCRIPTS } from './test-helpers.js';

export interface CheckResult {
  /** Why the check did not run, or null when it ran. */
  readonly skipped: string | null;
  readonly failures: readonly { readonly path: string; readonly error: string }[];
}

export function checkWithOnnx(paths: readonly string[]): CheckResult {
  const lacks = pythonLacks('onnx');
  if (lacks) return { skipped: `onnx.checker not run: ${lacks}`, failures: [] };
  const r = spawnSync(PYTHON, [join(TORCH_SCRIPTS, 'check_onnx.py'), ...paths], { encoding: 'utf8' });
  if (r.status !== 0 && !r.stdout.trim())
    return { skipped: null, failures: [{ path: '*', error: r.stderr }] };
  const results = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string | null>;
  return {
    skipped: null,
    failures: Object.entries(results)
      .filter(([, e]) => e !== null)
      .map(([path, error]) => ({ path, error: error ?? '' })),
  };
}
