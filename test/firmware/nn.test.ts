/**
 * The C kernels and interpreter against the TypeScript integer reference (PROTOCOL.md §6, the
 * executable spec in apps/cloud/src/ml/quant): random requantization cases (§6.2) computed by the C
 * side and compared with requant.ts, then whole artifacts (every op kind, uint8 per-tensor and int8
 * per-channel weights) run by tf_interp on several inputs and compared byte for byte with the TS
 * Interpreter; a mismatch names the first differing index. Also checks that the arena the device
 * measures from the plan equals the header's arena_infer_bytes. gcc, and clang with ASan + UBSan.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@tinyfleet/cloud/ml';
import { deriveRequant, Interpreter, requantize, writeQuantizedArtifact } from '@tinyfleet/cloud/quant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firmwareModels, firstMismatch, randomInputs } from './nn-models.js';
import { cmakeBuild, missingTool, run } from './toolchain.js';

const f32 = new DataView(new ArrayBuffer(4));
function bits(x: number): number {
  f32.setFloat32(0, x, true);
  return f32.getUint32(0, true);
}
function fromBits(b: number): number {
  f32.setUint32(0, b >>> 0, true);
  return f32.getFloat32(0, true);
}

/** A random positive float32 scale: mostly normal 2^-40..2^20, some subnormal, some exact powers of two. */
function randomScale(rng: Rng): number {
  const r = rng.next();
  if (r < 0.05) return fromBits(1 + Math.floor(rng.next() * 0x7fffff)); // subnormal
  if (r < 0.1) return 2 ** Math.floor(rng.next() * 40 - 30);
  return Math.fround((0.5 + rng.next()) * 2 ** Math.floor(rng.next() * 60 - 40));
}

interface RequantCase {
  a: number;
  b: number;
  c: number;
  p: number;
  xs: number[];
}

function requantCases(n: number): RequantCase[] {
  const rng = new Rng(17);
  const cases: RequantCase[] = [];
  const edge = [0, 1, -1, 2, -2, 6, 255, -255, 2 ** 20, -(2 ** 20), 2147483647, -2147483648];
  for (let i = 0; i < n; i++) {
    const two = rng.next() < 0.5;
    const a = randomScale(rng);
    const b = two ? 1 : randomScale(rng);
    const c = randomScale(rng);
    const p = rng.next() < 0.5 ? 0 : Math.floor(rng.next() * 40 - 22);
    const xs = [...edge];
    for (let k = 0; k < 20; k++) {
      const mag = 2 ** Math.floor(rng.next() * 31);
      xs.push(Math.floor((rng.next() * 2 - 1) * mag));
    }
    cases.push({ a, b, c, p, xs });
  }
  // §6.2.2 corner cases: equal mantissas (Q rounds to 2^31), the LOG2E and ADD ratios
  cases.push({ a: 1, b: 1, c: fromBits(0x3f7fffff), p: 0, xs: [1, 1000, -1000] });
  cases.push({ a: fromBits(0x3c010204), b: fromBits(0x3fb8aa3b), c: 1, p: 16, xs: [0, 1, 255] });
  return cases;
}

function expected(c: RequantCase): string {
  let r: ReturnType<typeof deriveRequant>;
  try {
    r = deriveRequant(c.a, c.b, c.c, c.p);
  } catch {
    return 'ERR OUT_OF_RANGE';
  }
  return [r.multiplier, r.shift, ...c.xs.map((x) => requantize(x, r))].join(' ');
}

const COMPILERS = [
  { name: 'gcc', cc: 'gcc', pkg: 'gcc', extra: ['-DCMAKE_BUILD_TYPE=Release'] },
  { name: 'clang', cc: 'clang', pkg: 'clang', extra: ['-DCMAKE_BUILD_TYPE=Debug', '-DTF_SANITIZE=ON'] },
] as const;

const MODELS = firmwareModels();
const INPUTS_PER_MODEL = 8;

for (const c of COMPILERS) {
  const title = `C kernels and interpreter bit-exact with the TS reference (${c.name})`;
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
    let bin = '';
    let tmp = '';

    beforeAll(() => {
      const dir = cmakeBuild(
        `vitest-nn-${c.name}`,
        [`-DCMAKE_C_COMPILER=${c.cc}`, ...c.extra],
        ['tf_nn_run'],
      );
      bin = join(dir, 'tests', 'tf_nn_run');
      tmp = mkdtempSync(join(tmpdir(), `tf-nn-${c.name}-`));
    }, 180_000);

    afterAll(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('§6.2 requantization: (M, k) from float32 bits and requant() on random cases equal requant.ts', () => {
      const cases = requantCases(1500);
      const text = cases
        .map(
          (k) =>
            [bits(k.a), bits(k.b), bits(k.c)].map((v) => v.toString(16)).join(' ') +
            ` ${k.p} ${k.xs.join(' ')}`,
        )
        .join('\n');
      const file = join(tmp, 'requant.txt');
      writeFileSync(file, `${text}\n`);
      const r = run('sh', ['-c', `"${bin}" requant < "${file}"`], { timeoutMs: 60_000 });
      expect(r.status, r.output).toBe(0);
      const lines = r.output.trimEnd().split('\n');
      expect(lines.length).toBe(cases.length);
      let errors = 0;
      cases.forEach((k, i) => {
        const want = expected(k);
        if (want.startsWith('ERR')) errors++;
        if (lines[i] !== want) {
          const got = lines[i]!.split(' ');
          const w = want.split(' ');
          throw new Error(
            `case ${i} (a=${k.a} b=${k.b} c=${k.c} p=${k.p}): first mismatching index ${firstMismatch(got, w)}: C "${lines[i]}" vs TS "${want}"`,
          );
        }
      });
      expect(errors).toBeGreaterThan(0); // the OUT_OF_RANGE path was exercised
      expect(errors).toBeLessThan(cases.length / 2);
    });

    for (const [mi, m] of MODELS.entries()) {
      it(`artifact ${m.label}: every output byte equals the TS Interpreter on ${INPUTS_PER_MODEL} inputs`, () => {
        const art = writeQuantizedArtifact(m.q);
        const inputs = randomInputs(m.inputSize, INPUTS_PER_MODEL, 100 + mi);
        const modelFile = join(tmp, `m${mi}.tfm`);
        const inFile = join(tmp, `m${mi}.in`);
        writeFileSync(modelFile, art);
        writeFileSync(inFile, Buffer.concat(inputs.map((x) => Buffer.from(x))));
        const r = run(bin, ['model', modelFile, inFile], { timeoutMs: 60_000 });
        expect(r.status, r.output).toBe(0);
        const [plan, ...outs] = r.output.trimEnd().split('\n');
        const pm = /^plan arena_required=(\d+) arena_infer_bytes=(\d+) ram=\d+ ops=(\d+)$/.exec(plan ?? '');
        expect(pm, r.output).not.toBeNull();
        expect(Number(pm![1]), 'arena measured on the device = planner arena').toBe(Number(pm![2]));
        expect(Number(pm![3])).toBe(m.q.nodes.length);
        expect(outs.length).toBe(inputs.length);
        const interp = new Interpreter(m.q);
        inputs.forEach((x, i) => {
          const want = interp.run(x);
          const got = Uint8Array.from(Buffer.from(outs[i]!, 'hex'));
          const at = firstMismatch(got, want);
          expect(at, `input ${i}: first mismatching index ${at}: C ${got[at]} vs TS ${want[at]}`).toBe(-1);
        });
      });
    }

    it('the models cover every op kind of §5.4', () => {
      const ops = new Set(MODELS.flatMap((m) => m.q.nodes.map((n) => n.op)));
      for (const op of [
        'conv2d',
        'depthwiseConv2d',
        'conv1d',
        'dense',
        'relu',
        'relu6',
        'maxPool',
        'avgPool',
        'globalAvgPool',
        'add',
        'concat',
        'reshape',
        'softmax',
      ]) {
        expect(ops, op).toContain(op);
      }
    });
  });
}
