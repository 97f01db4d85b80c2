/**
 * Helpers for the firmware tests: find tools, configure and build firmware-templates with CMake
 * into firmware-templates/build/<name> (gitignored), run a binary with a bounded time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIRMWARE_DIR = join(REPO_ROOT, 'firmware-templates');

/** True if `cmd` is on PATH. */
export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;
}

/** "needs <tool> (Debian package <pkg>)" for the first missing tool, or undefined if all exist. */
export function missingTool(tools: ReadonlyArray<readonly [tool: string, pkg: string]>): string | undefined {
  for (const [tool, pkg] of tools) {
    if (!hasTool(tool)) return `needs ${tool} (Debian package ${pkg}: apt-get install ${pkg})`;
  }
  return undefined;
}

export interface RunResult {
  status: number | null;
  output: string;
}

/** Runs a command to completion with a time limit; stdout and stderr are merged in `output`. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; timeoutMs: number },
): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${String(r.error)}` : ''}`;
  return { status: r.status, output };
}

/** Configures and builds firmware-templates into build/<name>; throws with the tool output on failure. */
export function cmakeBuild(
  name: string,
  cacheArgs: readonly string[],
  targets: readonly string[] = [],
): string {
  const dir = join(FIRMWARE_DIR, 'build', name);
  mkdirSync(dir, { recursive: true });
  const generator = hasTool('ninja') ? ['-G', 'Ninja'] : [];
  const configure = run('cmake', ['-S', FIRMWARE_DIR, '-B', dir, ...generator, ...cacheArgs], {
    timeoutMs: 60_000,
  });
  if (configure.status !== 0) throw new Error(`cmake configure (${name}) failed:\n${configure.output}`);
  const targetArgs = targets.flatMap((t) => ['--target', t]);
  const build = run('cmake', ['--build', dir, '--parallel', '2', ...targetArgs], { timeoutMs: 120_000 });
  if (build.status !== 0) throw new Error(`cmake build (${name}) failed:\n${build.output}`);
  return dir;
}

/** Names of the host unit test binaries: one per firmware-templates/tests/test_*.c. */
export function unitTestNames(): string[] {
  return readdirSync(join(FIRMWARE_DIR, 'tests'))
    .filter((f) => /^test_\w+\.c$/.test(f))
    .map((f) => f.slice(0, -2))
    .sort();
}
