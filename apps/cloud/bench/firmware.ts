/**
 * bench:firmware — ref-cnn on the Cortex-M4 image for QEMU's mps2-an386.
 *
 * The model: `refCnn()` with its seeded random weights (no training data needed), quantized by PTQ
 * (uint8 per-tensor weights) on 32 random calibration inputs in [0, 1), with the training plan of
 * its last two weighted ops (conv2, fc) as `npm start` builds it (`tinyfleet quantize --trainable
 * last2`) — so the numbers are those of the real architecture, not of a trained model (the cost does
 * not depend on the weight values, except the data-dependent top-k). The artifact is embedded in the
 * image (-DTF_MODEL_TFM) built with -DTF_MPS2_BENCH=ON (ports/mps2-an386/bench_train.c), which before
 * the agent starts times with SysTick one inference on an all-zero input, then per update rate
 * (lambda_min = lambda_max = 1 and 0.1) one streaming (bs = 1) training step after a warm-up step,
 * and the same step again with a per-kernel profile (kernels wrapped at link time). QEMU runs with
 * `-icount shift=0`: every instruction takes 2^0 = 1 ns of virtual time, so the 25 MHz SysTick counts
 * 25 ticks per 1000 instructions and instructions = cycles * 1e9 / 25e6 (= 40 per SysTick tick;
 * deterministic, resolution 40).
 *
 * Prints with `--json` (progress on stderr) `{"text","data","bss","arena_bytes","train_arena_bytes",
 * "infer_insns","train_step_insns_100","train_step_insns_10", ...}`: text/data/bss from
 * arm-none-eabi-size of the bench image (the bss holds the 64 KiB arena, 16 KiB interpreter RAM and
 * the 64 KiB training buffer of the standard image); arena_bytes as the device's interpreter measures
 * it from the plan; train_arena_bytes = what a training session really uses on the device at the
 * 100% rate: the arena it reads (`train_device_arena_bytes`: the interpreter's plan and every SAVED /
 * ERROR tensor of the artifact it uses, at their planned offsets, §5.6) + the scratch tf_train_prepare
 * carves from the training buffer (`train_buf_bytes`; `train_buf_bytes_10` at 10%);
 * `train_plan_arena_bytes` the training arena of the artifact's tensor records as the device computes
 * it; the planner's predictions beside them (`planner_*`, cortex-m4 profile): planner_train_arena_bytes
 * = its training arena + its scratch formula (plan/training.ts `trainScratchBytes`) for the session's
 * λ, which must equal train_arena_bytes (the bench fails otherwise); the backward pass alone
 * (`backward_insns_*` = step - forward, the forward being the profiled tf_interp_run_op calls, the
 * forward copies and the logits bounds of §6.6.7), its ratio, and the per-kernel profile in
 * instructions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseTrainable, planGraphOf, planModel, profileByName } from '../src/ml/plan/index.js';
import { planArena } from '../src/ml/quant/arena.js';
import { toArtifactModel, writeQuantizedArtifact } from '../src/ml/quant/artifact.js';
import { postTrainingQuantize } from '../src/ml/quant/ptq.js';
import { Rng } from '../src/ml/tensor/rng.js';
import { refCnn } from '../src/ml/zoo/ref-cnn.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FW = join(ROOT, 'firmware-templates');
const SYSCLK_HZ = 25_000_000;
const insns = (cycles: number): number => Math.round((cycles * 1e9) / SYSCLK_HZ);
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

interface TrainRun {
  step: number;
  fwd: number;
  k: string;
  n: string;
  used: number;
  arena: number;
  planArena: number;
  profile: Record<string, number>;
}

/** The "bench: train lambda=L ..." line and its "bench: prof lambda=L NAME C CALLS" lines. */
function trainRun(out: string, lambda: string): TrainRun {
  const l = lambda.replace('.', '\\.');
  const m = new RegExp(
    `^bench: train lambda=${l} step (\\d+) fwd (\\d+) k (\\d+,\\d+) n (\\d+,\\d+) used (\\d+) arena (\\d+) plan_arena (\\d+)`,
    'm',
  ).exec(out);
  if (!m) throw new Error(`no training result for lambda=${lambda} in the boot log:\n${out}`);
  const profile: Record<string, number> = {};
  for (const p of out.matchAll(new RegExp(`^bench: prof lambda=${l} (\\w+) (\\d+),(\\d+)`, 'gm'))) {
    profile[p[1]!] = insns(Number(p[2]));
  }
  return {
    step: Number(m[1]),
    fwd: Number(m[2]),
    k: m[3]!,
    n: m[4]!,
    used: Number(m[5]),
    arena: Number(m[6]),
    planArena: Number(m[7]),
    profile,
  };
}

async function main(): Promise<void> {
  const g = refCnn();
  const shape = g.inputs[0]!.shape;
  const len = shape.reduce((p, d) => p * d, 1);
  const rng = new Rng(5);
  const xs = Array.from({ length: 32 }, () => Float32Array.from({ length: len }, () => rng.next()));
  log('quantizing ref-cnn (random weights, random calibration), trainable last2 ...');
  const q = postTrainingQuantize(
    g,
    { size: xs.length, get: (i) => ({ x: xs[i]!, y: 0 }) },
    { samples: xs.length },
  );
  const pg = planGraphOf(toArtifactModel(q));
  const trainable = parseTrainable('last2', pg);
  const profile = profileByName('cortex-m4');
  // the device sessions: lambda_min = lambda_max = 1 and 0.1, bs = 1 (bench_train.c)
  const at = (l: number) => ({ lambdaMin: Math.fround(l), lambdaMax: Math.fround(l), batchSize: 1 });
  const plan100 = planModel(pg, profile, { trainable, updateRate: 1, training: at(1) });
  const plan10 = planModel(pg, profile, { trainable, updateRate: 0.1, training: at(0.1) });
  const tmp = mkdtempSync(join(tmpdir(), 'tf-bench-fw-'));
  try {
    const model = join(tmp, 'ref-cnn.tfm');
    writeFileSync(model, writeQuantizedArtifact(q, { name: 'ref-cnn', trainable }));
    const build = join(FW, 'build', 'bench-mps2');
    mkdirSync(build, { recursive: true });
    log('building the mps2-an386 bench image with the model embedded ...');
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
      '-DTF_MPS2_BENCH_TRAIN_BYTES=65536', // the standard image's training buffer
    ]);
    sh('cmake', ['--build', build, '--parallel', '2']);
    const elf = join(build, 'ports', 'mps2-an386', 'tinyfleet-mps2-an386.elf');
    const size = /^\s*(\d+)\s+(\d+)\s+(\d+)\s/m.exec(
      sh('arm-none-eabi-size', ['--format=berkeley', elf]).split('\n')[1] ?? '',
    );
    if (!size) throw new Error('no arm-none-eabi-size output');
    log('running in QEMU with -icount shift=0 ...');
    const out = await bootLog(elf, 120_000);
    const arena = /model: ready, arena (\d+) B measured, (\d+) B planned/.exec(out);
    const cycles = /bench: infer_cycles (\d+)/.exec(out);
    if (!arena || !cycles) throw new Error(`unexpected boot log:\n${out}`);
    const r100 = trainRun(out, '1');
    const r10 = trainRun(out, '0.1');
    const bwd100 = insns(r100.step - r100.fwd);
    const bwd10 = insns(r10.step - r10.fwd);
    const arenaBytes = Number(arena[1]);
    const result = {
      text: Number(size[1]),
      data: Number(size[2]),
      bss: Number(size[3]),
      arena_bytes: arenaBytes,
      train_arena_bytes: r100.arena + r100.used,
      infer_insns: insns(Number(cycles[1])),
      train_step_insns_100: insns(r100.step),
      train_step_insns_10: insns(r10.step),
      planner_arena_bytes: planArena(q).bytes,
      planner_train_arena_bytes: plan100.detail.arena_train_bytes + plan100.detail.scratch_bytes,
      train_device_arena_bytes: r100.arena,
      planner_arena_train_bytes: plan100.detail.arena_train_bytes,
      train_buf_bytes: r100.used,
      planner_train_scratch_bytes: plan100.detail.scratch_bytes,
      train_buf_bytes_10: r10.used,
      planner_train_scratch_bytes_10: plan10.detail.scratch_bytes,
      train_plan_arena_bytes: r100.planArena,
      forward_insns_train: insns(r100.fwd),
      backward_insns_100: bwd100,
      backward_insns_10: bwd10,
      backward_ratio: Number((bwd100 / bwd10).toFixed(2)),
      updated_structures_100: r100.k,
      updated_structures_10: r10.k,
      structures: r100.n,
      planner_macs: plan100.macs,
      planner_backward_macs_100: plan100.backward_macs,
      planner_backward_macs_10: plan10.backward_macs,
      planner_backward_ratio: Number((plan100.backward_macs / plan10.backward_macs).toFixed(2)),
      profile_insns_100: r100.profile,
      profile_insns_10: r10.profile,
    };
    if (Number(arena[2]) !== result.planner_arena_bytes)
      throw new Error('artifact header arena differs from the planner');
    if (
      result.train_arena_bytes !== result.planner_train_arena_bytes ||
      r10.arena + r10.used !== plan10.detail.arena_train_bytes + plan10.detail.scratch_bytes
    )
      throw new Error(`training memory: device and planner differ: ${JSON.stringify(result)}`);
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else for (const [k, v] of Object.entries(result)) log(`${k.padEnd(28)} ${JSON.stringify(v)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
