import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { DataSplit } from '../../ml/data/types.js';
import { readModel, writeModelSync } from '../../ml/model/format.js';
import {
  type CompressConfig,
  compressModel,
  countNonzero,
  countParams,
  PRUNE_METHODS,
  type StepReport,
  sweep,
} from '../../ml/prune/index.js';
import { mixSeed, Rng } from '../../ml/tensor/rng.js';
import { evaluateGraph } from '../../ml/train/trainer.js';
import {
  type FlagSpecs,
  number,
  oneOf,
  type Parsed,
  parseFlags,
  required,
  str,
  UsageError,
} from '../args.js';
import type { CliIo } from '../io.js';
import type { Command } from './command.js';
import { loadData } from './data.js';

const flags: FlagSpecs = {
  prune: {
    type: 'string',
    value: 'METHOD',
    help: `pruning method: ${PRUNE_METHODS.join(', ')} (structured-l1)`,
  },
  schedule: { type: 'string', value: 'one-shot|agp', help: 'pruning schedule (agp)' },
  sparsity: {
    type: 'string',
    value: 'S',
    help: 'fraction of parameters removed (structured) or zeroed (element-wise), in [0, 1)',
  },
  sweep: { type: 'string', value: 'S1,S2,...', help: 'compress once per sparsity; print accuracy vs size' },
  steps: { type: 'string', value: 'N', help: 'AGP pruning steps (5)' },
  scope: {
    type: 'string',
    value: 'per-layer|global',
    help: 'sparsity per layer or ranked globally (per-layer)',
  },
  'finetune-epochs': { type: 'string', value: 'E', help: 'fine-tuning epochs after each pruning step (1)' },
  'finetune-samples': {
    type: 'string',
    value: 'N',
    help: 'training samples per fine-tuning epoch, drawn afresh each epoch (all)',
  },
  lr: { type: 'string', value: 'X', help: 'fine-tuning peak learning rate, SGD momentum 0.9, cosine (0.05)' },
  batch: { type: 'string', value: 'B', help: 'fine-tuning batch size (64)' },
  'score-samples': { type: 'string', value: 'N', help: 'samples for the grad and apoz criteria (512)' },
  dataset: { type: 'string', value: 'NAME', help: 'data set: mnist, fsdd, csv:<file> or png:<dir>' },
  data: {
    type: 'string',
    value: 'DIR',
    help: 'data sets folder (default $TINYFLEET_DATASETS or ../shared/datasets)',
  },
  'test-limit': { type: 'string', value: 'N', help: 'evaluate on N test samples drawn at random (all)' },
  seed: { type: 'string', value: 'S', help: 'seed for scoring, random pruning and fine-tuning (0)' },
  threads: { type: 'string', value: 'N', help: 'fine-tuning threads (min(2, cores))' },
  out: { type: 'string', value: 'FILE', help: 'write the compressed model here (not with --sweep)' },
  json: { type: 'boolean', help: 'print one JSON object with the results on stdout' },
};

function parseSparsity(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n < 1))
    throw new UsageError(`--${flag} values must be in [0, 1), got "${v}"`);
  return n;
}

function subset(split: DataSplit, limit: number | undefined, seed: number): DataSplit {
  if (limit === undefined || limit >= split.size) return split;
  const idx = new Rng(mixSeed(seed, 0x7e57)).shuffle(Int32Array.from({ length: split.size }, (_, i) => i));
  return { size: limit, get: (i) => split.get(idx[i]!) };
}

function config(p: Parsed): Omit<CompressConfig, 'sparsity'> {
  const seed = number(p, 'seed', { integer: true, min: 0 }) ?? 0;
  const samples = number(p, 'finetune-samples', { integer: true, min: 1 });
  const schedule = oneOf(p, 'schedule', ['one-shot', 'agp'] as const) ?? 'agp';
  return {
    method: oneOf(p, 'prune', PRUNE_METHODS) ?? 'structured-l1',
    schedule,
    steps: schedule === 'agp' ? (number(p, 'steps', { integer: true, min: 1 }) ?? 5) : 1,
    scope: oneOf(p, 'scope', ['per-layer', 'global'] as const) ?? 'per-layer',
    finetune: {
      epochs: number(p, 'finetune-epochs', { integer: true, min: 0 }) ?? 1,
      batch: number(p, 'batch', { integer: true, min: 1 }) ?? 64,
      lr: number(p, 'lr', { min: 0 }) ?? 0.05,
      seed,
      threads: number(p, 'threads', { integer: true, min: 1 }) ?? Math.min(2, availableParallelism()),
      ...(samples !== undefined ? { samplesPerEpoch: samples } : {}),
    },
    seed,
    ...(str(p, 'score-samples') !== undefined
      ? { scoreSamples: number(p, 'score-samples', { integer: true, min: 1 })! }
      : {}),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export const compressCommand: Command = {
  name: 'compress',
  summary:
    'Prune a model (structured channels: physically smaller; element-wise: sparse masks) with fine-tuning; or sweep sparsities.',
  usage:
    'tinyfleet compress MODEL.tfmodel --prune METHOD --schedule one-shot|agp (--sparsity S | --sweep S1,S2) --dataset NAME [options]',
  flags,
  positionals: 1,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 1);
    const modelPath = p.positionals[0];
    if (!modelPath) throw new UsageError('missing the model file argument');
    const datasetName = required(p, 'dataset');
    const sweepArg = str(p, 'sweep');
    const sparsityArg = str(p, 'sparsity');
    if ((sweepArg === undefined) === (sparsityArg === undefined))
      throw new UsageError('give exactly one of --sparsity and --sweep');
    if (sweepArg !== undefined && str(p, 'out') !== undefined)
      throw new UsageError('--out cannot be combined with --sweep');
    const cfg = config(p);
    const levels = sweepArg?.split(',').map((v) => parseSparsity(v, 'sweep'));
    const sparsity = sparsityArg === undefined ? undefined : parseSparsity(sparsityArg, 'sparsity');
    const testLimit = number(p, 'test-limit', { integer: true, min: 1 });
    const file = await readModel(resolve(io.cwd, modelPath));
    const data = await loadData(datasetName, str(p, 'data'), io.env);
    const test = subset(data.test, testLimit, cfg.seed);
    const cdata = { train: data.train, numClasses: data.numClasses, test };
    const json = p.flags.json === true;
    const t0 = performance.now();

    if (levels !== undefined) {
      const r = await sweep(file.graph, cdata, cfg, levels, (pt) => {
        if (!json)
          io.stderr.write(
            `sparsity ${pt.sparsity}: accuracy ${pct(pt.accuracy)} at ${pct(pt.paramFraction)} of the parameters\n`,
          );
      });
      const result = {
        model: modelPath,
        dataset: data.name,
        method: cfg.method,
        schedule: cfg.schedule,
        physical: cfg.method !== 'elementwise-l1',
        params: countParams(file.graph),
        baseline_accuracy: r.baseline,
        points: r.points.map((pt) => ({
          sparsity: pt.sparsity,
          accuracy: pt.accuracy,
          relative_accuracy: pt.relativeAccuracy,
          params: pt.params,
          nonzero: pt.nonzero,
          param_fraction: pt.paramFraction,
          nonzero_fraction: pt.nonzeroFraction,
          seconds: pt.seconds,
        })),
        test_samples: test.size,
        seconds: (performance.now() - t0) / 1000,
      };
      if (json) io.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        io.stdout.write(`baseline accuracy ${pct(r.baseline)} with ${result.params} parameters\n`);
        for (const pt of r.points) {
          io.stdout.write(
            `  sparsity ${pt.sparsity.toFixed(3)}  params ${pct(pt.paramFraction)}  non-zero ${pct(pt.nonzeroFraction)}  accuracy ${pct(pt.accuracy)} (${pct(pt.relativeAccuracy)} of baseline)\n`,
          );
        }
      }
      return 0;
    }

    const before = evaluateGraph(file.graph, test).accuracy;
    const onStep = (s: StepReport): void => {
      if (!json)
        io.stderr.write(
          `step ${s.step}: target ${s.sparsity.toFixed(3)}, params ${s.params} (${pct(s.paramFraction)}), non-zero ${pct(s.nonzeroFraction)}\n`,
        );
    };
    const r = await compressModel(file.graph, cdata, { ...cfg, sparsity: sparsity! }, onStep);
    const after = evaluateGraph(r.graph, test).accuracy;
    const out = str(p, 'out');
    const paramsAfter = countParams(r.graph);
    const nonzeroAfter = countNonzero(r.graph);
    const result = {
      model: modelPath,
      dataset: data.name,
      method: cfg.method,
      schedule: cfg.schedule,
      scope: cfg.scope,
      sparsity,
      physical: r.physical,
      accuracy_before: before,
      accuracy_after: after,
      relative_accuracy: before > 0 ? after / before : 0,
      params_before: r.paramsBefore,
      params_after: paramsAfter,
      nonzero_after: nonzeroAfter,
      param_fraction: paramsAfter / r.paramsBefore,
      nonzero_fraction: nonzeroAfter / r.paramsBefore,
      steps: r.steps.map((s) => ({
        step: s.step,
        sparsity: s.sparsity,
        params: s.params,
        param_fraction: s.paramFraction,
        nonzero_fraction: s.nonzeroFraction,
      })),
      test_samples: test.size,
      seconds: (performance.now() - t0) / 1000,
      ...(out ? { out: resolve(io.cwd, out) } : {}),
    };
    if (out) {
      const { steps: _steps, ...summary } = result;
      writeModelSync(resolve(io.cwd, out), {
        graph: r.graph,
        metadata: { ...file.metadata, compression: summary, test_accuracy: after },
        training: null,
      });
    }
    if (json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else report(io, result);
    return 0;
  },
};

function report(
  io: CliIo,
  r: {
    accuracy_before: number;
    accuracy_after: number;
    params_before: number;
    params_after: number;
    nonzero_after: number;
    param_fraction: number;
    nonzero_fraction: number;
    physical: boolean;
    out?: string;
  },
): void {
  const size = r.physical
    ? `params ${r.params_before} -> ${r.params_after} (${pct(r.param_fraction)})`
    : `params ${r.params_before} (same shapes), non-zero ${r.nonzero_after} (${pct(r.nonzero_fraction)}; sparsity, not physically smaller)`;
  io.stdout.write(
    `accuracy ${pct(r.accuracy_before)} -> ${pct(r.accuracy_after)}\n${size}\n${r.out ? `saved ${r.out}\n` : ''}`,
  );
}
