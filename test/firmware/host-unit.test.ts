/**
 * Builds the firmware runtime for the host with CMake (gcc, and clang with ASan + UBSan when
 * present) and runs every C unit test binary of firmware-templates/tests. Each binary must exit 0
 * and close with "N passed, 0 failed"; on failure its whole output is the assertion message.
 * Skips, naming the Debian package, when cmake or a compiler is missing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cmakeBuild, missingTool, REPO_ROOT, run, unitTestNames } from './toolchain.js';

interface HostCompiler {
  name: string;
  cc: string;
  pkg: string;
  extra: readonly string[];
}

const COMPILERS: readonly HostCompiler[] = [
  { name: 'gcc', cc: 'gcc', pkg: 'gcc', extra: ['-DCMAKE_BUILD_TYPE=Release'] },
  { name: 'clang', cc: 'clang', pkg: 'clang', extra: ['-DCMAKE_BUILD_TYPE=Debug', '-DTF_SANITIZE=ON'] },
];

const TESTS = unitTestNames();
const CLOSING = /^(\d+) passed, (\d+) failed$/m;

for (const c of COMPILERS) {
  const title = `firmware host unit tests (${c.name})`;
  const missing = missingTool([
    ['cmake', 'cmake'],
    [c.cc, c.pkg],
  ]);
  if (missing) {
    console.warn(`${title}: skipped, ${missing}`);
    it.skip(`${title}: skipped, ${missing}`, () => {});
    continue;
  }

  describe(title, () => {
    let buildDir = '';

    beforeAll(() => {
      buildDir = cmakeBuild(`vitest-host-${c.name}`, [`-DCMAKE_C_COMPILER=${c.cc}`, ...c.extra]);
    }, 180_000);

    it('has test binaries to run', () => {
      expect(TESTS.length).toBeGreaterThan(5);
    });

    for (const t of TESTS) {
      it(t, () => {
        const r = run(join(buildDir, 'tests', t), [], { cwd: buildDir, timeoutMs: 60_000 });
        expect(r.status, r.output).toBe(0);
        const closing = CLOSING.exec(r.output);
        expect(closing, `no closing "N passed, M failed" line:\n${r.output}`).not.toBeNull();
        expect(Number(closing?.[2]), r.output).toBe(0);
        expect(Number(closing?.[1]), r.output).toBeGreaterThan(0);
        if (t === 'test_slots_powerloss') {
          expect(r.output, r.output).toMatch(/power-loss replay: [1-9]\d* cut points tested/);
        }
        if (t === 'test_ota') {
          expect(r.output, r.output).toMatch(/ota power-loss replay: [1-9]\d* cut points tested/);
        }
        if (t === 'test_nn_vectors') {
          // every kernel vector of protocol/vectors/nn, bit-exact: forward, and FQT (PROTOCOL.md §6.6.11)
          const counts = /nn vectors: (\d+) cases run \((\d+) forward, (\d+) FQT\)/.exec(r.output);
          expect(counts, r.output).not.toBeNull();
          expect(Number(counts?.[2]), r.output).toBeGreaterThan(40);
          const fqt = readdirSync(join(REPO_ROOT, 'protocol', 'vectors', 'nn')).filter((f) =>
            /^fqt-.*\.tfkv$/.test(f),
          );
          expect(Number(counts?.[3]), r.output).toBe(fqt.length);
          console.log(`${c.name}: ${counts?.[0]}; ${closing?.[0]}`);
        }
      });
    }
  });
}
