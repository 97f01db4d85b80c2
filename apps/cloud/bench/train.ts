/**
 * bench:train — trains ref-cnn on random 28x28x1 data, batch 64, SGD; prints samples/s.
 * `--json`: one JSON line on stdout. `--compare-torch`: also times the same model in PyTorch
 * (python3 + torch, 2 threads) when installed. `--steps N`, `--warmup N`, `--batch B`.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Plan } from '../src/ml/engine/plan.js';
import { Rng } from '../src/ml/tensor/rng.js';
import { softmaxCrossEntropy } from '../src/ml/train/loss.js';
import { createOptimizerState, defaultOptimizerConfig, optimizerStep } from '../src/ml/train/optim.js';
import { refCnn } from '../src/ml/zoo/ref-cnn.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    'compare-torch': { type: 'boolean', default: false },
    steps: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    batch: { type: 'string', default: '64' },
    profile: { type: 'boolean', default: false },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const warmup = Number(values.warmup);

const plan = new Plan(refCnn({ seed: 1 }), { batch, training: true, seed: 1 });
const rng = new Rng(5);
const input = plan.act(plan.inputName).f32;
const nData = 8;
const data = Array.from({ length: nData }, () =>
  Float32Array.from({ length: input.length }, () => rng.next()),
);
const labels = Int32Array.from({ length: batch }, () => rng.int(10));
const opt = createOptimizerState(defaultOptimizerConfig('sgd'), plan.params.length);
const mask = new Uint8Array(plan.params.length).fill(1);
const dlogits = plan.grad(plan.logits)!;

function step(i: number): void {
  input.set(data[i % nData]!);
  plan.forward(batch, true, i);
  softmaxCrossEntropy(plan.act(plan.logits).f32, labels, batch, 10, dlogits.f32);
  plan.backward(batch);
  optimizerStep(opt, plan.params.f32, plan.grads.f32, 0.01, mask);
}

for (let i = 0; i < warmup; i++) step(i);
const t0 = performance.now();
for (let i = 0; i < steps; i++) step(i);
const seconds = (performance.now() - t0) / 1000;
const samplesPerS = Math.round((steps * batch) / seconds);
const result: Record<string, unknown> = { model: 'ref-cnn', batch, samples_per_s: samplesPerS };

if (values['compare-torch']) {
  const torch = torchFigure(batch, steps, warmup);
  if (typeof torch === 'number') result.torch_samples_per_s = torch;
  else process.stderr.write(`compare-torch skipped: ${torch}\n`);
}

if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(
    `ref-cnn, batch ${batch}, SGD: ${samplesPerS} samples/s (TinyFleet, 1 thread, wasm SIMD)\n`,
  );
  if (typeof result.torch_samples_per_s === 'number') {
    process.stdout.write(`PyTorch (2 threads): ${result.torch_samples_per_s} samples/s\n`);
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
