/**
 * bench:fqt — the FQT domain-shift experiment (issue 4) on MNIST: ref-cnn trained in float (1 epoch),
 * PTQ, inverted digits; last two layers fine-tuned in float and with FQT at 100/50/10% and dynamic
 * update rates, streaming batch 1. `--json`: one JSON line. `--samples N`, `--test N`, `--shift
 * invert|rotate`, `--lr LR`, `--float-lr LR`, `--update standardized|centered|sgd`, `--rounding
 * nearest|stochastic`, `--ee R`, `--ew R`, `--ea R` (logits range tracking, PROTOCOL.md §6.6.7;
 * default 0), `--schedule cosine|constant` (the learning rate of every run decays to 0 over the stream
 * by default), `--dynamic MIN,MAX` (λ of the dynamic setting, LOSS_RATIO; default 0.05,1: a mean
 * update rate near 10%), `--data DIR`.
 */
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/ml/data/index.js';
import { defaultDatasetsDir } from '../src/ml/data/paths.js';
import { DEFAULT_EA, runExperiment } from '../src/ml/fqt/experiment.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    samples: { type: 'string', default: '2000' },
    test: { type: 'string', default: '2000' },
    shift: { type: 'string', default: 'invert' },
    lr: { type: 'string', default: '0.02' },
    'float-lr': { type: 'string', default: '0.02' },
    update: { type: 'string', default: 'sgd' },
    rounding: { type: 'string', default: 'nearest' },
    ee: { type: 'string', default: '1' },
    ew: { type: 'string', default: '0.01' },
    ea: { type: 'string', default: String(DEFAULT_EA) },
    schedule: { type: 'string', default: 'cosine' },
    dynamic: { type: 'string', default: '0.05,1' },
    data: { type: 'string' },
  },
});
const shift = values.shift;
if (shift !== 'invert' && shift !== 'rotate') throw new RangeError(`--shift invert|rotate, got ${shift}`);
const update = values.update;
if (update !== 'standardized' && update !== 'centered' && update !== 'sgd')
  throw new RangeError(`--update standardized|centered|sgd, got ${update}`);
const rounding = values.rounding;
if (rounding !== 'nearest' && rounding !== 'stochastic')
  throw new RangeError(`--rounding nearest|stochastic, got ${rounding}`);
const schedule = values.schedule;
if (schedule !== 'cosine' && schedule !== 'constant')
  throw new RangeError(`--schedule cosine|constant, got ${schedule}`);
const dynamic = values.dynamic.split(',').map(Number) as [number, number];
if (dynamic.length !== 2 || !(dynamic[0] >= 0 && dynamic[0] <= dynamic[1] && dynamic[1] <= 1))
  throw new RangeError(`--dynamic MIN,MAX with 0 <= MIN <= MAX <= 1, got ${values.dynamic}`);
const data = await loadDataset('mnist', { dir: values.data ?? defaultDatasetsDir() });
const result = runExperiment({
  data,
  shift,
  lastLayers: 2,
  rates: [1, 0.5, 0.1],
  dynamic,
  samples: Number(values.samples),
  testSamples: Number(values.test),
  lr: Number(values.lr),
  floatLr: Number(values['float-lr']),
  update,
  rounding,
  schedule,
  emaErrors: Number(values.ee),
  emaWeights: Number(values.ew),
  emaActivations: Number(values.ea),
  seed: 1,
  log: (line) => process.stderr.write(`${line}\n`),
});
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  for (const r of result.rows)
    process.stdout.write(
      `${r.setting.padEnd(12)} ${(r.accuracy_before * 100).toFixed(1)}% -> ${(r.accuracy_after * 100).toFixed(1)}%  MACs ${r.backward_macs}  RAM(est) ${r.train_ram_estimate_bytes} B  ${r.seconds.toFixed(1)} s\n`,
    );
  process.stdout.write(`${JSON.stringify(result.goals, null, 1)}\n`);
}
