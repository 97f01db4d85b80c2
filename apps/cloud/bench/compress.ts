/**
 * bench:compress — the issue 8 compression goal: accuracy vs parameter fraction of ref-cnn and the
 * MobileNetV2-style model on MNIST under structured L1 pruning with the AGP schedule (fine-tuning
 * between steps). Prints one JSON line per (model, sparsity) and one summary line per model saying
 * whether it keeps >= 99% of its accuracy at <= 10% of its parameters.
 *
 * Baselines are trained here unless given: `--ref FILE` / `--mbv2 FILE` (.tfmodel from `tinyfleet
 * train`). Options: `--models ref-cnn,mobilenet-v2`, `--sweep 0.5,0.7,0.8,0.9,0.95`, `--steps 5`,
 * `--finetune-epochs 2`, `--finetune-samples N` (per epoch; all by default), `--lr 0.05`,
 * `--scope auto|per-layer|global` (auto: global for ref-cnn, per-layer for mobilenet-v2),
 * `--method structured-l1`, `--test-limit N`, `--epochs 3` (baselines), `--threads N`, `--data DIR`.
 * Full run: ~10 min for ref-cnn and ~25 min for mobilenet-v2 on the 2-core machine, single-threaded.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultDatasetsDir, loadDataset } from '../src/ml/data/index.js';
import type { DataSplit } from '../src/ml/data/types.js';
import type { Graph } from '../src/ml/graph/types.js';
import { readModel } from '../src/ml/model/format.js';
import { countParams, PRUNE_METHODS, type PruneMethod, type Scope, sweep } from '../src/ml/prune/index.js';
import { mixSeed, Rng } from '../src/ml/tensor/rng.js';
import { defaultOptimizerConfig } from '../src/ml/train/optim.js';
import { defaultSchedule } from '../src/ml/train/schedule.js';
import { Trainer } from '../src/ml/train/trainer.js';
import { buildModel } from '../src/ml/zoo/index.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'ref-cnn,mobilenet-v2' },
    ref: { type: 'string' },
    mbv2: { type: 'string' },
    sweep: { type: 'string', default: '0.5,0.7,0.8,0.9,0.95' },
    steps: { type: 'string', default: '5' },
    'finetune-epochs': { type: 'string', default: '2' },
    'finetune-samples': { type: 'string' },
    lr: { type: 'string', default: '0.05' },
    scope: { type: 'string', default: 'auto' },
    method: { type: 'string', default: 'structured-l1' },
    'test-limit': { type: 'string' },
    epochs: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    data: { type: 'string' },
  },
});
const method = values.method as PruneMethod;
if (!PRUNE_METHODS.includes(method))
  throw new RangeError(`--method must be one of ${PRUNE_METHODS.join(', ')}`);
/** `auto`: the scope that measured best per model (see ml/prune/README.md, Figures). */
const AUTO_SCOPE: Readonly<Record<string, Scope>> = { 'ref-cnn': 'global', 'mobilenet-v2': 'per-layer' };
if (!['auto', 'per-layer', 'global'].includes(values.scope))
  throw new RangeError('--scope auto|per-layer|global');
const threads = Number(values.threads);
const data = await loadDataset('mnist', { dir: values.data ?? defaultDatasetsDir(process.env) });

function subset(split: DataSplit, n: number | undefined): DataSplit {
  if (n === undefined || n >= split.size) return split;
  const idx = new Rng(mixSeed(7, 0x7e57)).shuffle(Int32Array.from({ length: split.size }, (_, i) => i));
  return { size: n, get: (i) => split.get(idx[i]!) };
}
const test = subset(data.test, values['test-limit'] ? Number(values['test-limit']) : undefined);

async function baseline(arch: string, file: string | undefined): Promise<Graph> {
  if (file) return (await readModel(file)).graph;
  const graph = buildModel(arch, { inputShape: data.inputShape, classes: data.numClasses, seed: 0 });
  const t = await Trainer.create(
    graph,
    data,
    {
      epochs: Number(values.epochs),
      batch: 64,
      seed: 0,
      optimizer: defaultOptimizerConfig('sgd'),
      schedule: defaultSchedule('cosine', 0.05),
      valFraction: 0.1,
      earlyStopping: null,
    },
    undefined,
    { threads },
  );
  try {
    return t.run();
  } finally {
    await t.close();
  }
}

const levels = values.sweep.split(',').map(Number);
const samples = values['finetune-samples'];
for (const arch of values.models.split(',')) {
  const graph = await baseline(arch, arch === 'ref-cnn' ? values.ref : values.mbv2);
  const scope = values.scope === 'auto' ? (AUTO_SCOPE[arch] ?? 'per-layer') : (values.scope as Scope);
  const r = await sweep(
    graph,
    { train: data.train, numClasses: data.numClasses, test },
    {
      method,
      schedule: 'agp',
      steps: Number(values.steps),
      scope,
      finetune: {
        epochs: Number(values['finetune-epochs']),
        batch: 64,
        lr: Number(values.lr),
        seed: 0,
        threads,
        ...(samples ? { samplesPerEpoch: Number(samples) } : {}),
      },
      seed: 0,
    },
    levels,
    (p) => {
      const line = { model: arch, method, scope, ...p, params_before: countParams(graph) };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    },
  );
  const within = r.points.filter((p) => p.paramFraction <= 0.1);
  const best = within.reduce((m, p) => Math.max(m, p.relativeAccuracy), 0);
  process.stdout.write(
    `${JSON.stringify({
      model: arch,
      summary: true,
      baseline_accuracy: r.baseline,
      params: countParams(graph),
      best_relative_accuracy_at_10pct: within.length > 0 ? best : null,
      goal_met: best >= 0.99,
    })}\n`,
  );
}
