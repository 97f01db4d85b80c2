/**
 * Cross-builds the Cortex-M4 image for QEMU's mps2-an386 (and the nRF52840 template, compile
 * only) with arm-none-eabi-gcc, prints the size report, then boots the image in
 * qemu-system-arm: the banner, the on-target self test and the slot decision must appear on the
 * CMSDK UART (-serial stdio), followed by the device agent's first link frame; the link over
 * -serial pty is tested by link-interop.test.ts. QEMU always gets killed; every wait is bounded.
 * Skips, naming the Debian package, when a tool is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cmakeBuild, FIRMWARE_DIR, missingTool, run } from './toolchain.js';

const ARM_TOOLS = [
  ['cmake', 'cmake'],
  ['arm-none-eabi-gcc', 'gcc-arm-none-eabi'],
] as const;
const TOOLCHAIN = join(FIRMWARE_DIR, 'cmake', 'arm-none-eabi.cmake');
const ELF_NAME = 'tinyfleet-mps2-an386.elf';
const BOOT_TIMEOUT_MS = 15_000;

const missingArm = missingTool(ARM_TOOLS) ?? newlibMissing();
const missingQemu = missingArm ?? missingTool([['qemu-system-arm', 'qemu-system-arm']]);

/** newlib provides memcpy and friends for the bare-metal link. */
function newlibMissing(): string | undefined {
  const r = run('arm-none-eabi-gcc', ['-print-file-name=libc_nano.a'], { timeoutMs: 10_000 });
  return r.status === 0 && r.output.trim().startsWith('/')
    ? undefined
    : 'needs newlib (Debian package libnewlib-arm-none-eabi: apt-get install libnewlib-arm-none-eabi)';
}

/** Resolves when `text()` matches `re` (or contains the string), rejects after `ms` with what was seen. */
function waitFor(
  text: () => string,
  re: RegExp | string,
  ms: number,
  what: string,
): Promise<RegExpExecArray> {
  const pattern = typeof re === 'string' ? new RegExp(re.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : re;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const m = pattern.exec(text());
      if (m) {
        clearInterval(timer);
        resolve(m);
      } else if (Date.now() - started > ms) {
        clearInterval(timer);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; got:\n${text()}`));
      }
    }, 20);
  });
}

let elf = '';
const qemus: ChildProcess[] = [];

function startQemu(serial: 'stdio' | 'pty'): { proc: ChildProcess; out: () => string; err: () => string } {
  // with -serial pty the monitor takes stdio: QEMU prints the pty path through it, unbuffered
  const monitor = serial === 'pty' ? 'stdio' : 'none';
  const proc = spawn(
    'qemu-system-arm',
    ['-M', 'mps2-an386', '-display', 'none', '-monitor', monitor, '-serial', serial, '-kernel', elf],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  qemus.push(proc);
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString('latin1');
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString('latin1');
  });
  return { proc, out: () => out, err: () => err };
}

afterEach(() => {
  for (const p of qemus.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
});

if (missingArm) {
  console.warn(`firmware mps2-an386 build: skipped, ${missingArm}`);
  it.skip(`firmware mps2-an386 build: skipped, ${missingArm}`, () => {});
} else {
  describe('firmware mps2-an386 build (arm-none-eabi)', () => {
    let sizeReport = '';

    beforeAll(() => {
      const dir = cmakeBuild(
        'vitest-mps2-an386',
        ['-DTF_PORT=mps2-an386', `-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}`, '-DCMAKE_BUILD_TYPE=MinSizeRel'],
        ['all', 'size'],
      );
      elf = join(dir, 'ports', 'mps2-an386', ELF_NAME);
      const size = run('cmake', ['--build', dir, '--target', 'size'], { timeoutMs: 30_000 });
      sizeReport = size.output;
      console.log(`mps2-an386 size report:\n${sizeReport}`);
    }, 180_000);

    it('prints a text/data/bss size report', () => {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s+\S*tinyfleet-mps2-an386\.elf$/m.exec(
        sizeReport,
      );
      expect(m, sizeReport).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThan(1000);
    });

    it('builds the nRF52840 template (compile only, not run)', () => {
      cmakeBuild(
        'vitest-nrf52840',
        ['-DTF_PORT=nrf52840', `-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}`, '-DCMAKE_BUILD_TYPE=MinSizeRel'],
        ['all'],
      );
    }, 120_000);

    if (missingQemu) {
      console.warn(`firmware QEMU smoke test: skipped, ${missingQemu}`);
      it.skip(`QEMU smoke test: skipped, ${missingQemu}`, () => {});
      return;
    }

    it('boots in QEMU: banner, self test, slot decision and SysTick on the CMSDK UART, then the agent', async () => {
      const q = startQemu('stdio');
      const text = () => `${q.out()}${q.err()}`;
      await waitFor(text, /^ready: .*$/m, BOOT_TIMEOUT_MS, 'the "ready" line');
      expect(q.out()).toMatch(/^TinyFleet runtime \d+\.\d+\.\d+ \(protocol 1\) on mps2-an386 \(cortex-m4, /m);
      expect(q.out()).toMatch(/^selftest: [1-9]\d* passed, 0 failed\r?$/m);
      expect(q.out()).toMatch(/^slots: no model\r?$/m);
      expect(q.out()).toMatch(/^clock: 10 ms = \d+ cycles\r?$/m);
      // the device agent now owns UART0: its first link HELLO frame (leading 0x00) follows
      await waitFor(q.out, '\x00', BOOT_TIMEOUT_MS, 'the first link frame');
    }, 30_000);

    // -serial pty (how the gateway attaches) is exercised by link-interop.test.ts: HELLO over the pty.
  });
}
