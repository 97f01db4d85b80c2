/**
 * bench:firmware — ref-cnn on the Cortex-M4 image for QEMU's mps2-an386.
 *
 * The model: `refCnn()` with its seeded random weights (no training data needed), quantized by PTQ
 * (uint8 per-tensor weights, the trainable form) on 32 random calibration inputs in [0, 1) — so the
 * numbers are those of the real architecture, not of a trained model (inference cost does not depend
 * on the weight values). The artifact is embedded in the image (-DTF_MODEL_TFM, installed into the
 * model slots at boot) built with -DTF_MPS2_BENCH=ON, which times one inference on an all-zero input
 * with SysTick before the agent starts. QEMU runs with `-icount shift=0`: every instruction takes
 * 2^0 = 1 ns of virtual time, so the 25 MHz SysTick counts 25 ticks per 1000 instructions and
 * instructions = cycles * 1e9 / 25e6 (= 40 per SysTick tick; deterministic, resolution 40).
 *
 * Prints `{"text","data","bss","arena_bytes","planner_arena_bytes","infer_insns"}` with `--json`
 * (progress on stderr): text/data/bss from arm-none-eabi-size (the bss includes the 64 KiB arena and
 * the 16 KiB interpreter RAM of the port), arena_bytes as measured by the device's interpreter from
 * the plan, planner_arena_bytes as predicted by the cloud's planner. Training fields come later.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planArena } from '../src/ml/quant/arena.js';
import { writeQuantizedArtifact } from '../src/ml/quant/artifact.js';
import { postTrainingQuantize } from '../src/ml/quant/ptq.js';
import { Rng } from '../src/ml/tensor/rng.js';
import { refCnn } from '../src/ml/zoo/ref-cnn.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FW = join(ROOT, 'firmware-templates');
const SYSCLK_HZ = 25_000_000;
const log = (s: string) => process.stderr.write(`${s}\n`);

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function bootLog(elf: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const q = spawn(
      'qemu-system-arm',
      [
        '-M',
        'mps2-an386',
        '-icount',
        'shift=0',
        '-display',
        'none',
        '-monitor',
        'none',
        '-serial',
        'stdio',
        '-kernel',
        elf,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const timer = setTimeout(() => {
      q.kill('SIGKILL');
      reject(new Error(`QEMU: no "ready" line after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString('latin1');
      if (/^ready: /m.test(out)) {
        clearTimeout(timer);
        q.kill('SIGKILL');
        resolve(out);
      }
    };
    q.stdout.on('data', onData);
    q.stderr.on('data', onData);
  });
}

async function main(): Promise<void> {
  const g = refCnn();
  const shape = g.inputs[0]!.shape;
  const len = shape.reduce((p, d) => p * d, 1);
  const rng = new Rng(5);
  const xs = Array.from({ length: 32 }, () => Float32Array.from({ length: len }, () => rng.next()));
  log('quantizing ref-cnn (random weights, random calibration) ...');
  const q = postTrainingQuantize(
    g,
    { size: xs.length, get: (i) => ({ x: xs[i]!, y: 0 }) },
    { samples: xs.length },
  );
  const tmp = mkdtempSync(join(tmpdir(), 'tf-bench-fw-'));
  try {
    const model = join(tmp, 'ref-cnn.tfm');
    writeFileSync(model, writeQuantizedArtifact(q, { name: 'ref-cnn' }));
    const build = join(FW, 'build', 'bench-mps2');
    mkdirSync(build, { recursive: true });
    log('building the mps2-an386 image with the model embedded ...');
    sh('cmake', [
      '-S',
      FW,
      '-B',
      build,
      '-DTF_PORT=mps2-an386',
      `-DCMAKE_TOOLCHAIN_FILE=${join(FW, 'cmake', 'arm-none-eabi.cmake')}`,
      '-DCMAKE_BUILD_TYPE=MinSizeRel',
      `-DTF_MODEL_TFM=${model}`,
      '-DTF_MPS2_BENCH=ON',
    ]);
    sh('cmake', ['--build', build, '--parallel', '2']);
    const elf = join(build, 'ports', 'mps2-an386', 'tinyfleet-mps2-an386.elf');
    const size = /^\s*(\d+)\s+(\d+)\s+(\d+)\s/m.exec(
      sh('arm-none-eabi-size', ['--format=berkeley', elf]).split('\n')[1] ?? '',
    );
    if (!size) throw new Error('no arm-none-eabi-size output');
    log('running in QEMU with -icount shift=0 ...');
    const out = await bootLog(elf, 60_000);
    const arena = /model: ready, arena (\d+) B measured, (\d+) B planned/.exec(out);
    const cycles = /bench: infer_cycles (\d+)/.exec(out);
    if (!arena || !cycles) throw new Error(`unexpected boot log:\n${out}`);
    const result = {
      text: Number(size[1]),
      data: Number(size[2]),
      bss: Number(size[3]),
      arena_bytes: Number(arena[1]),
      planner_arena_bytes: planArena(q).bytes,
      infer_insns: Math.round((Number(cycles[1]) * 1e9) / SYSCLK_HZ),
    };
    if (Number(arena[2]) !== result.planner_arena_bytes)
      throw new Error('artifact header arena differs from the planner');
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else for (const [k, v] of Object.entries(result)) log(`${k.padEnd(20)} ${v}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
