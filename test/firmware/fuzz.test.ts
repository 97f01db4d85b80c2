/**
 * libFuzzer targets of firmware-templates/fuzz/ (frame decoder + deframer + endpoint, CBOR reader +
 * message decoder, artifact parser), built with clang -fsanitize=fuzzer,address,undefined and run
 * for a bounded time each, seeded with protocol/vectors. Any crash or sanitizer report fails the test.
 * Skips, naming the Debian package, when clang or its libFuzzer runtime is missing.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIRMWARE_DIR, missingTool, REPO_ROOT, run } from './toolchain.js';

const SECONDS = 8;
const TARGETS = [
  { name: 'link', seeds: 'link' },
  { name: 'msg', seeds: 'cbor' },
  { name: 'artifact', seeds: 'artifact' },
] as const;

const OUT = join(FIRMWARE_DIR, 'build', 'vitest-fuzz');
const CORE = ['core', 'nn', 'fqt', 'train'].flatMap((d) =>
  readdirSync(join(FIRMWARE_DIR, 'src', d))
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(FIRMWARE_DIR, 'src', d, f)),
);
const FLAGS = [
  '-std=c99',
  '-Wall',
  '-Wextra',
  '-pedantic',
  '-Werror',
  '-g',
  '-O1',
  '-fsanitize=fuzzer,address,undefined',
  '-fno-sanitize-recover=all',
  `-I${join(FIRMWARE_DIR, 'include')}`,
];

function libFuzzerMissing(): string | undefined {
  mkdirSync(OUT, { recursive: true });
  const probe = run(
    'sh',
    [
      '-c',
      `printf 'int LLVMFuzzerTestOneInput(const unsigned char*d,unsigned long n){(void)d;(void)n;return 0;}' > ${OUT}/probe.c && clang -fsanitize=fuzzer ${OUT}/probe.c -o ${OUT}/probe`,
    ],
    { timeoutMs: 60_000 },
  );
  return probe.status === 0
    ? undefined
    : `needs the libFuzzer runtime of clang (Debian: clang ships it; on some releases libclang-rt-<N>-dev):\n${probe.output}`;
}

const missing = missingTool([['clang', 'clang']]) ?? libFuzzerMissing();

if (missing) {
  console.warn(`firmware fuzzing: skipped, ${missing}`);
  it.skip(`firmware fuzzing: skipped, ${missing}`, () => {});
} else {
  describe(`firmware libFuzzer targets (${SECONDS} s each, ASan + UBSan)`, () => {
    for (const t of TARGETS) {
      it(`fuzz_${t.name}: no crash, no sanitizer report`, () => {
        const bin = join(OUT, `fuzz_${t.name}`);
        const build = run(
          'clang',
          [...FLAGS, join(FIRMWARE_DIR, 'fuzz', `fuzz_${t.name}.c`), ...CORE, '-o', bin],
          {
            timeoutMs: 120_000,
          },
        );
        expect(build.status, build.output).toBe(0);
        const corpus = join(OUT, `corpus-${t.name}`);
        rmSync(corpus, { recursive: true, force: true });
        mkdirSync(corpus, { recursive: true });
        const r = run(
          bin,
          [
            `-max_total_time=${SECONDS}`,
            '-print_final_stats=1',
            '-max_len=8192',
            `-artifact_prefix=${OUT}/crash-${t.name}-`,
            corpus,
            join(REPO_ROOT, 'protocol', 'vectors', t.seeds),
          ],
          { timeoutMs: (SECONDS + 30) * 1000 },
        );
        const execs = /stat::number_of_executed_units:\s*(\d+)/.exec(r.output)?.[1];
        console.log(`fuzz_${t.name}: ${execs ?? '?'} executions in ${SECONDS} s`);
        expect(r.output, r.output.slice(-4000)).not.toMatch(
          /ERROR: (AddressSanitizer|libFuzzer)|runtime error:/,
        );
        expect(r.status, r.output.slice(-4000)).toBe(0);
        expect(Number(execs)).toBeGreaterThan(1000);
      }, 180_000);
    }
  });
}
