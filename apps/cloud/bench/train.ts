/**
 * bench:train — trains ref-cnn on random 28x28x1 data, batch 64, SGD; prints samples/s.
 * `--json`: one JSON line on stdout. `--compare-torch`: also times the same model in PyTorch
 * (python3 + torch, 2 threads) when installed, and reports the ratio. `--threads N` (data-parallel
 * worker threads; default min(2, cores)), `--steps N`, `--warmup N`, `--batch B`,
 * `--model ref-cnn|ds-cnn` (ds-cnn on random [98, 13] MFCC-shaped input; no torch comparison).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { DataSplit } from '../src/ml/data/types.js';
import type { Graph } from '../src/ml/graph/types.js';
import { Rng } from '../src/ml/tensor/rng.js';
import { createOptimizerState, defaultOptimizerConfig, optimizerStep } from '../src/ml/train/optim.js';
import { TrainStep } from '../src/ml/train/parallel/step.js';
import { dsCnn } from '../src/ml/zoo/ds-cnn.js';
import { refCnn } from '../src/ml/zoo/ref-cnn.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    'compare-torch': { type: 'boolean', default: false },
    steps: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    model: { type: 'string', default: 'ref-cnn' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const model = values.model;
if (model !== 'ref-cnn' && model !== 'ds-cnn') throw new RangeError(`--model ref-cnn|ds-cnn, got ${model}`);

const graph: Graph =
  model === 'ref-cnn' ? refCnn({ seed: 1 }) : dsCnn({ inputShape: [98, 13], classes: 10, seed: 1 });
const { step: trainStep, fallback } = await TrainStep.create(graph, {
  batch,
  seed: 1,
  threads: Number(values.threads),
  numClasses: 10,
});
if (fallback) process.stderr.write(`threads unavailable, using 1: ${fallback}\n`);
const plan = trainStep.plan;
const rng = new Rng(5);
const sampleSize = graph.inputs[0]!.shape.reduce((a, b) => a * b, 1);
const nData = 8 * batch;
const samples = Array.from({ length: nData }, () => ({
  x: Float32Array.from({ length: sampleSize }, () => rng.next()),
  y: rng.int(10),
}));
const split: DataSplit = { size: nData, get: (i) => samples[i]! };
const order = Int32Array.from({ length: nData }, (_, i) => i);
const opt = createOptimizerState(defaultOptimizerConfig('sgd'), plan.params.length);
const mask = new Uint8Array(plan.params.length).fill(1);

function step(i: number): void {
  trainStep.run(split, order, (i % 8) * batch, batch, i);
  optimizerStep(opt, plan.params.f32, plan.grads.f32, 0.01, mask);
}

let seconds = 0;
try {
  for (let i = 0; i < warmup; i++) step(i);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step(i);
  seconds = (performance.now() - t0) / 1000;
} finally {
  await trainStep.close();
}
const samplesPerS = Math.round((steps * batch) / seconds);
const result: Record<string, unknown> = {
  model,
  batch,
  threads: trainStep.threads,
  samples_per_s: samplesPerS,
};

if (values['compare-torch'] && model === 'ref-cnn') {
  const torch = torchFigure(batch, steps, warmup);
  if (typeof torch === 'number') {
    result.torch_threads = 2;
    result.torch_samples_per_s = torch;
    result.ratio_to_torch = Math.round((samplesPerS / torch) * 1000) / 1000;
  } else process.stderr.write(`compare-torch skipped: ${torch}\n`);
}

if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(
    `${model}, batch ${batch}, SGD: ${samplesPerS} samples/s (TinyFleet, ${trainStep.threads} thread(s), wasm SIMD)\n`,
  );
  if (typeof result.torch_samples_per_s === 'number') {
    process.stdout.write(
      `PyTorch (2 threads): ${result.torch_samples_per_s} samples/s; ratio ${result.ratio_to_torch}\n`,
    );
  }
}

function torchFigure(b: number, n: number, w: number): number | string {
  const script = `
import time, torch, torch.nn as nn
torch.set_num_threads(2); torch.manual_seed(0)
m = nn.Sequential(nn.Conv2d(1,16,3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16,32,3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800,10))
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(${b},1,28,28); y = torch.randint(0,10,(${b},)); loss = nn.CrossEntropyLoss()
def step():
    opt.zero_grad(); l = loss(m(x), y); l.backward(); opt.step()
for _ in range(${w}): step()
t = time.perf_counter()
for _ in range(${n}): step()
print(round(${n * b} / (time.perf_counter() - t)))
`;
  // Debian's python3-torch lives in /usr/bin/python3's packages, which a pyenv `python3` may not see
  const candidates = [process.env.TINYFLEET_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (p): p is string => !!p,
  );
  let last = 'python3 not found (apt-get install python3 python3-torch)';
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', script], { encoding: 'utf8' });
    if (r.error) continue;
    if (r.status === 0) return Number(r.stdout.trim());
    last = `python3 torch not available (apt-get install python3-torch): ${r.stderr.trim().split('\n').pop()}`;
  }
  return last;
}
