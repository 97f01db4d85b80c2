/**
 * The virtual MCU (`tinyfleet-vmcu`, firmware-templates/ports/host): built with CMake into
 * `.tinyfleet/build/vmcu` (an incremental build, so a fresh tree costs seconds and an unchanged one
 * almost nothing), started as a child process on a pseudo-terminal with the capabilities of an MCU profile.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, waitFor } from './procs.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIRMWARE_DIR = join(REPO_ROOT, 'firmware-templates');
export const VMCU_BUILD_DIR = join(REPO_ROOT, '.tinyfleet', 'build', 'vmcu');

/** An MCU the virtual MCU plays: what its HELLO reports (PROTOCOL.md §4.2.1). */
export interface McuProfile {
  /** Profile name, also the stem of the device id. */
  readonly name: string;
  readonly core: string;
  readonly board: string;
  readonly clockHz: number;
  readonly ramBytes: number;
  readonly flashBytes: number;
}

const K = 1024;
const M = 1024 * 1024;

/** Three parts of three Cortex-M generations; more devices cycle through them. */
export const PROFILES: readonly McuProfile[] = [
  {
    name: 'nrf52840',
    core: 'cortex-m4',
    board: 'nrf52840',
    clockHz: 64e6,
    ramBytes: 256 * K,
    flashBytes: 1 * M,
  },
  {
    name: 'stm32h743',
    core: 'cortex-m7',
    board: 'stm32h743',
    clockHz: 480e6,
    ramBytes: 1 * M,
    flashBytes: 2 * M,
  },
  {
    name: 'nrf5340',
    core: 'cortex-m33',
    board: 'nrf5340',
    clockHz: 128e6,
    ramBytes: 512 * K,
    flashBytes: 1 * M,
  },
];

/** Device `i` (0-based) of a site: its profile and id (`<profile>-<n>`). */
export function deviceFor(i: number): { profile: McuProfile; deviceId: string } {
  const profile = PROFILES[i % PROFILES.length] as McuProfile;
  return { profile, deviceId: `${profile.name}-${Math.floor(i / PROFILES.length) + 1}` };
}

export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
  readonly code = 'TOOL_MISSING';
}

const hasTool = (cmd: string) =>
  spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;

/** Why the virtual MCU cannot be built here ("needs cmake (Debian package cmake)"), or undefined. */
export function vmcuToolchainMissing(): string | undefined {
  if (!hasTool('cmake')) return 'needs cmake (Debian package cmake: apt-get install cmake)';
  if (!hasTool('cc') && !hasTool('gcc'))
    return 'needs a C compiler (Debian package gcc: apt-get install gcc)';
  return undefined;
}

/**
 * Configures (once) and builds the `tinyfleet-vmcu` target; returns the binary's path. The build is
 * incremental, so this is how staleness is handled. Throws ToolMissingError naming the package.
 */
export function buildVmcu(buildDir = VMCU_BUILD_DIR): string {
  const missing = vmcuToolchainMissing();
  if (missing) throw new ToolMissingError(`cannot build the virtual MCU: ${missing}`);
  mkdirSync(buildDir, { recursive: true });
  const run = (args: string[], what: string) => {
    const r = spawnSync('cmake', args, { encoding: 'utf8', timeout: 180_000, maxBuffer: 16 * M });
    if (r.status !== 0)
      throw new Error(
        `${what} of the virtual MCU failed:\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ?? ''}`,
      );
  };
  if (!existsSync(join(buildDir, 'CMakeCache.txt'))) {
    const generator = hasTool('ninja') ? ['-G', 'Ninja'] : [];
    // Warnings stay warnings here: the demo should not stop on a colleague's new warning.
    run(
      ['-S', FIRMWARE_DIR, '-B', buildDir, ...generator, '-DCMAKE_BUILD_TYPE=Release', '-DTF_WERROR=OFF'],
      'cmake configure',
    );
  }
  run(['--build', buildDir, '--target', 'tinyfleet-vmcu', '--parallel', '2'], 'cmake build');
  const bin = join(buildDir, 'ports', 'host', 'tinyfleet-vmcu');
  if (!existsSync(bin)) throw new Error(`the build did not produce ${bin}`);
  return bin;
}

export interface VmcuOptions {
  readonly bin: string;
  readonly deviceId: string;
  readonly profile: McuProfile;
  /** Model flash file (created erased); the boot counter lives beside it. */
  readonly flashFile: string;
  /**
   * A stable path for the gateway's config: a symlink replaced (atomically) to point at this run's pty,
   * so a restarted virtual MCU is found at the same path.
   */
  readonly linkPath: string;
  readonly logFile?: string;
  readonly onLine?: (line: string) => void;
  /** More vmcu options (`--model FILE.tfm`, `--slot-size`, ...); later ones win over the profile's. */
  readonly extraArgs?: readonly string[];
}

export interface Vmcu {
  readonly deviceId: string;
  readonly profile: McuProfile;
  readonly child: Child;
  /** The pty slave (/dev/pts/N). */
  readonly ptyPath: string;
  /** The stable symlink to it. */
  readonly linkPath: string;
}

/** Starts a virtual MCU and waits for the pty path it prints first. */
export async function startVmcu(o: VmcuOptions): Promise<Vmcu> {
  mkdirSync(dirname(o.flashFile), { recursive: true });
  mkdirSync(dirname(o.linkPath), { recursive: true });
  let ptyPath: string | undefined;
  const child = new Child({
    name: `vmcu ${o.deviceId}`,
    cmd: o.bin,
    args: [
      '--pty',
      '--flash-file',
      o.flashFile,
      '--device-id',
      o.deviceId,
      '--core',
      o.profile.core,
      '--board',
      o.profile.board,
      '--clock-hz',
      String(o.profile.clockHz),
      '--ram',
      String(o.profile.ramBytes),
      '--flash',
      String(o.profile.flashBytes),
      ...(o.extraArgs ?? []),
    ],
    ...(o.logFile !== undefined && { logFile: o.logFile }),
    onLine: (line, stream) => {
      if (stream === 'stdout' && ptyPath === undefined) ptyPath = line.trim();
      o.onLine?.(line);
    },
  });
  try {
    const path = await waitFor(
      `the pty path of ${o.deviceId}`,
      () => {
        if (!child.running) throw new Error(`${o.deviceId} exited:\n${child.tail()}`);
        return ptyPath;
      },
      10_000,
      20,
    );
    const tmp = `${o.linkPath}.${process.pid}.tmp`;
    rmSync(tmp, { force: true });
    symlinkSync(path, tmp);
    renameSync(tmp, o.linkPath);
    return { deviceId: o.deviceId, profile: o.profile, child, ptyPath: path, linkPath: o.linkPath };
  } catch (e) {
    await child.kill();
    throw e;
  }
}
