import { resolve } from 'node:path';
import { readModel } from '../../ml/model/format.js';
import { type FlagSpecs, number, oneOf, parseFlags, required, str, UsageError } from '../args.js';
import type { Command } from './command.js';
import { loadData } from './data.js';

const flags: FlagSpecs = {
  dataset: { type: 'string', value: 'NAME', help: 'data set with 8-bit images (mnist)' },
  data: {
    type: 'string',
    value: 'DIR',
    help: 'data sets folder (default $TINYFLEET_DATASETS or ../shared/datasets)',
  },
  model: {
    type: 'string',
    value: 'FILE',
    help: 'trained float model (.tfmodel); default: train ref-cnn (1 epoch)',
  },
  shift: {
    type: 'string',
    value: 'KIND',
    help: 'domain shift: invert (255 - x) or rotate (90°); default invert',
  },
  layers: { type: 'string', value: 'lastN', help: 'train the last N weighted ops (default last2)' },
  rates: { type: 'string', value: 'LIST', help: 'fixed update rates λ_min = λ_max (default 1,0.5,0.1)' },
  dynamic: {
    type: 'string',
    value: 'MIN,MAX',
    help: 'dynamic setting λ_min,λ_max, LOSS_RATIO (default 0.05,1: mean update rate near 10%; "none")',
  },
  samples: {
    type: 'string',
    value: 'N',
    help: 'streaming samples from the shifted training split (default 2000)',
  },
  test: { type: 'string', value: 'N', help: 'shifted test samples evaluated (default 2000)' },
  lr: { type: 'string', value: 'LR', help: 'FQT learning rate (default 0.02)' },
  'float-lr': { type: 'string', value: 'LR', help: 'float SGD learning rate (default 0.02)' },
  update: {
    type: 'string',
    value: 'RULE',
    help: 'FQT step direction, PROTOCOL.md §6.6.10: standardized (the paper), centered, sgd (default)',
  },
  rounding: {
    type: 'string',
    value: 'MODE',
    help: 'FQT weight rounding: nearest (default) or stochastic (xorshift32, §6.6.10)',
  },
  ee: { type: 'string', value: 'R', help: 'EMA rate of the error ranges (default 1)' },
  ew: { type: 'string', value: 'R', help: 'EMA rate of the weight ranges (default 0.01, as devices)' },
  ea: {
    type: 'string',
    value: 'R',
    help: 'EMA rate of the logits range (PROTOCOL.md §6.6.7; default 0 = the artifact range)',
  },
  schedule: {
    type: 'string',
    value: 'KIND',
    help: 'learning rate over the stream, float and FQT alike: cosine (default, decays to 0) or constant',
  },
  seed: { type: 'string', value: 'N', help: 'seed (default 1)' },
  json: { type: 'boolean', help: 'print one JSON object with the table on stdout' },
};

export const fqtSimCommand: Command = {
  name: 'fqt-sim',
  summary:
    'Simulate fully quantized on-device training (PROTOCOL.md §6.6) on a shifted domain vs float fine-tuning.',
  usage:
    'tinyfleet fqt-sim --dataset mnist [--data DIR] [--model ref.tfmodel] [--shift invert|rotate] [--layers last2] [--rates 1,0.5,0.1] [--samples N] [--json]',
  flags,
  positionals: 0,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 0);
    const datasetName = required(p, 'dataset');
    const shift = oneOf(p, 'shift', ['invert', 'rotate'] as const) ?? 'invert';
    const layersFlag = str(p, 'layers') ?? 'last2';
    const m = /^last(\d+)$/.exec(layersFlag);
    if (!m) throw new UsageError(`--layers: expected lastN, got "${layersFlag}"`);
    const rates = (str(p, 'rates') ?? '1,0.5,0.1').split(',').map(Number);
    if (rates.some((r) => !(r > 0 && r <= 1))) throw new UsageError('--rates: values in (0, 1]');
    const dyn = str(p, 'dynamic') ?? '0.05,1';
    const dynamic = dyn === 'none' ? null : (dyn.split(',').map(Number) as [number, number]);
    if (
      dynamic &&
      (dynamic.length !== 2 || !(dynamic[0] >= 0 && dynamic[0] <= dynamic[1] && dynamic[1] <= 1))
    )
      throw new UsageError('--dynamic: MIN,MAX with 0 <= MIN <= MAX <= 1, or none');
    const fqt = await import('../../ml/fqt/index.js');
    const data = await loadData(datasetName, str(p, 'data'), io.env);
    const modelPath = str(p, 'model');
    const model = modelPath ? (await readModel(resolve(io.cwd, modelPath))).graph : undefined;
    const result = fqt.runExperiment({
      data,
      ...(model ? { model } : {}),
      shift,
      lastLayers: Number(m[1]),
      rates,
      dynamic,
      samples: number(p, 'samples', { integer: true, min: 1 }) ?? 2000,
      testSamples: number(p, 'test', { integer: true, min: 1 }) ?? 2000,
      lr: number(p, 'lr', { min: 0 }) ?? 0.02,
      floatLr: number(p, 'float-lr', { min: 0 }) ?? 0.02,
      update: oneOf(p, 'update', ['standardized', 'centered', 'sgd'] as const) ?? 'sgd',
      rounding: oneOf(p, 'rounding', ['nearest', 'stochastic'] as const) ?? 'nearest',
      schedule: oneOf(p, 'schedule', ['cosine', 'constant'] as const) ?? 'cosine',
      emaErrors: number(p, 'ee', { min: 0, max: 1 }) ?? 1,
      emaWeights: number(p, 'ew', { min: 0, max: 1 }) ?? 0.01,
      emaActivations: number(p, 'ea', { min: 0, max: 1 }) ?? fqt.DEFAULT_EA,
      seed: number(p, 'seed', { integer: true, min: 0 }) ?? 1,
      log: (line) => io.stderr.write(`${line}\n`),
    });
    if (p.flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      for (const r of result.rows)
        io.stdout.write(
          `${r.setting.padEnd(12)} acc ${(r.accuracy_before * 100).toFixed(1)}% -> ${(r.accuracy_after * 100).toFixed(1)}%  backward MACs ${r.backward_macs}  train RAM (est.) ${r.train_ram_estimate_bytes} B\n`,
        );
      io.stdout.write(`${JSON.stringify(result.goals)}\n`);
    }
    return 0;
  },
};
