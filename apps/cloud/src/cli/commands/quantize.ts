import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readModel } from '../../ml/model/format.js';
import { parseTrainable, planGraphOf } from '../../ml/plan/index.js';
import { ProgressDisplay } from '../../ml/train/progress.js';
import { evaluateGraph } from '../../ml/train/trainer.js';
import { type FlagSpecs, number, parseFlags, required, str, UsageError } from '../args.js';
import { showProgress } from '../io.js';
import type { Command } from './command.js';
import { limitSplit, loadData } from './data.js';

const flags: FlagSpecs = {
  dataset: { type: 'string', value: 'NAME', help: 'data set: mnist, fsdd, csv:<file> or png:<dir>' },
  data: {
    type: 'string',
    value: 'DIR',
    help: 'data sets folder (default $TINYFLEET_DATASETS or ../shared/datasets)',
  },
  out: { type: 'string', value: 'FILE', help: 'write the model artifact (.tfm) here' },
  'per-channel': { type: 'boolean', help: 'int8 symmetric per-channel weights (default uint8 per-tensor)' },
  calib: { type: 'string', value: 'N', help: 'calibration samples from the training split (1000)' },
  percentile: {
    type: 'string',
    value: 'P',
    help: 'clip ranges at the P / 100-P percentiles (default min/max)',
  },
  limit: { type: 'string', value: 'N', help: 'evaluate only the first N test samples' },
  qat: {
    type: 'string',
    value: 'MODE',
    help: 'quantization-aware training: auto (when PTQ loses more than --qat-threshold), always, never (auto)',
  },
  'qat-threshold': {
    type: 'string',
    value: 'PT',
    help: 'accuracy points PTQ may lose before auto runs QAT (1)',
  },
  'qat-epochs': { type: 'string', value: 'N', help: 'QAT fine-tuning epochs (2)' },
  'qat-lr': { type: 'string', value: 'X', help: 'QAT peak learning rate, Adam with cosine decay (0.001)' },
  'qat-samples': {
    type: 'string',
    value: 'N',
    help: 'QAT on N training samples spread over the split (all)',
  },
  trainable: {
    type: 'string',
    value: 'SET',
    help: 'ops the device may train: none, all, lastN (e.g. last2) or op indices; adds the training plan (none)',
  },
  lr: { type: 'string', value: 'X', help: 'training default: learning rate (with --trainable; 0.01)' },
  lambda: {
    type: 'string',
    value: 'MIN,MAX',
    help: 'training default: partial-update lambda_min,lambda_max (with --trainable; 0.1,1)',
  },
  update: {
    type: 'string',
    value: 'RULE',
    help: 'training default: update rule standardized, centered or sgd (with --trainable; standardized; PROTOCOL.md §6.6.10)',
  },
  rounding: {
    type: 'string',
    value: 'MODE',
    help: 'training default: weight rounding nearest or stochastic (with --trainable; nearest; PROTOCOL.md §6.6.10)',
  },
  json: { type: 'boolean', help: 'print one JSON object with the results on stdout' },
};

export const quantizeCommand: Command = {
  name: 'quantize',
  summary:
    '8-bit quantization (PROTOCOL.md §6): post-training, with quantization-aware training as the fallback when it loses accuracy; float vs integer accuracy, model artifact.',
  usage:
    'tinyfleet quantize MODEL.tfmodel --dataset NAME [--data DIR] --out MODEL.tfm [--per-channel] [--calib N] [--percentile P] [--qat auto|always|never] [--qat-threshold PT] [--qat-epochs N] [--qat-lr X] [--qat-samples N] [--trainable SET [--lr X] [--lambda MIN,MAX] [--update RULE] [--rounding MODE]] [--json]',
  flags,
  positionals: 1,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 1);
    const modelPath = p.positionals[0];
    if (!modelPath) throw new UsageError('missing the model file argument');
    const datasetName = required(p, 'dataset');
    const out = str(p, 'out');
    const samples = number(p, 'calib', { integer: true, min: 1 }) ?? 1000;
    const percentile = number(p, 'percentile', { min: 50.000001, max: 100 });
    const limit = number(p, 'limit', { integer: true, min: 1 });
    const perChannel = p.flags['per-channel'] === true;
    const qatMode = str(p, 'qat') ?? 'auto';
    if (qatMode !== 'auto' && qatMode !== 'always' && qatMode !== 'never')
      throw new UsageError('--qat must be auto, always or never');
    const threshold = number(p, 'qat-threshold', { min: 0, max: 100 }) ?? 1;
    const qatTraining = {
      epochs: number(p, 'qat-epochs', { integer: true, min: 1 }) ?? 2,
      ...optional('lr', number(p, 'qat-lr', { min: 1e-9, max: 10 })),
      ...optional('samples', number(p, 'qat-samples', { integer: true, min: 1 })),
    };
    const quant = await import('../../ml/quant/index.js');
    const file = await readModel(resolve(io.cwd, modelPath));
    const data = await loadData(datasetName, str(p, 'data'), io.env);
    const t0 = performance.now();
    const options = {
      perChannel,
      samples,
      ...optional('percentile', percentile),
      ...optional('inputQ', data.inputEncoding),
    };
    let q = quant.postTrainingQuantize(file.graph, data.train, options);
    const test = limitSplit(data.test, limit);
    const floatAcc = evaluateGraph(file.graph, test).accuracy;
    const ptq = quant.evaluateQuantized(q, test);
    let qe = ptq;
    let qatAcc: number | null = null;
    const loss = (floatAcc - ptq.accuracy) * 100;
    const progress = showProgress(p.flags.json === true, io);
    const note = (line: string): void => {
      if (progress) io.stderr.write(line);
    };
    note(`float ${pct(floatAcc)}, PTQ ${pct(ptq.accuracy)} (${loss.toFixed(2)} pt lost)\n`);
    if (qatMode === 'always' || (qatMode === 'auto' && loss > threshold)) {
      note(`quantization-aware training, ${qatTraining.epochs} epoch(s)\n`);
      const r = await quant.qat(
        file.graph,
        { numClasses: data.numClasses, train: data.train },
        { ...options, training: qatTraining, ...(progress && { progress: new ProgressDisplay(io.stderr) }) },
      );
      const qq = quant.postTrainingQuantize(r.graph, data.train, { ...options, ranges: r.ranges });
      const qatEval = quant.evaluateQuantized(qq, test);
      qatAcc = qatEval.accuracy;
      const useQat = qatMode === 'always' || qatAcc > ptq.accuracy;
      note(`QAT ${pct(qatAcc)}: the artifact uses ${useQat ? 'QAT' : 'PTQ'}\n`);
      if (useQat) [q, qe] = [qq, qatEval];
    }
    const method = qe === ptq ? 'ptq' : 'qat';
    let artifactBytes: number | null = null;
    const trainable = trainingOptions(p, q, quant);
    if (out) {
      const bytes = quant.writeQuantizedArtifact(q, trainable);
      await writeFile(resolve(io.cwd, out), bytes);
      artifactBytes = bytes.length;
    }
    const result = {
      model: modelPath,
      dataset: data.name,
      weights: perChannel ? 'int8-per-channel' : 'uint8-per-tensor',
      calibration: { samples, method: percentile !== undefined ? `percentile ${percentile}` : 'minmax' },
      float_accuracy: floatAcc,
      quant_accuracy: qe.accuracy,
      ptq_accuracy: ptq.accuracy,
      qat_accuracy: qatAcc,
      method,
      test_samples: qe.samples,
      artifact: out ?? null,
      artifact_bytes: artifactBytes,
      trainable_ops: trainable.trainable ?? [],
      arena_bytes: quant.planArena(q).bytes,
      seconds: (performance.now() - t0) / 1000,
    };
    if (p.flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      io.stdout.write(
        `float_accuracy ${pct(floatAcc)}  quant_accuracy ${pct(qe.accuracy)} (${method}; ptq ${pct(ptq.accuracy)}${qatAcc === null ? '' : `, qat ${pct(qatAcc)}`}; ${qe.samples} samples, ${result.weights})\n`,
      );
      if (out) io.stdout.write(`wrote ${out} (${artifactBytes} bytes, arena ${result.arena_bytes} bytes)\n`);
    }
    return 0;
  },
};

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/** `{ [key]: value }`, or nothing when the value is absent (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

type Quant = typeof import('../../ml/quant/index.js');
type QGraph = ReturnType<Quant['postTrainingQuantize']>;

const UPDATE_RULES = { standardized: 'STANDARDIZED', centered: 'CENTERED', sgd: 'SGD' } as const;
const ROUNDINGS = { nearest: 'NEAREST', stochastic: 'STOCHASTIC' } as const;

/** `--NAME` as one of the keys of `names` (lower case), mapped to its TRAIN record name. */
function choice<T extends Record<string, string>>(
  p: ReturnType<typeof parseFlags>,
  name: string,
  names: T,
): T[keyof T] | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!Object.hasOwn(names, v))
    throw new UsageError(
      `--${name} must be ${Object.keys(names)
        .join(', ')
        .replace(/, (\w+)$/, ' or $1')}`,
    );
  return names[v as keyof T];
}

/**
 * `--trainable`, `--lr`, `--lambda`, `--update`, `--rounding` -> the artifact's training plan and defaults
 * (PROTOCOL.md §5.7; update rule and rounding in bytes 27, 28, §6.6.10).
 */
function trainingOptions(p: ReturnType<typeof parseFlags>, q: QGraph, quant: Quant) {
  const spec = str(p, 'trainable');
  if (spec === undefined) {
    if (['lr', 'lambda', 'update', 'rounding'].some((f) => str(p, f) !== undefined))
      throw new UsageError('--lr, --lambda, --update and --rounding go with --trainable');
    return {};
  }
  const update = choice(p, 'update', UPDATE_RULES);
  const rounding = choice(p, 'rounding', ROUNDINGS);
  const trainable = parseTrainable(spec, planGraphOf(quant.toArtifactModel(q)));
  const lr = number(p, 'lr', { min: 1e-9, max: 10 });
  const lambda = str(p, 'lambda');
  let lambdas: { lambdaMin: number; lambdaMax: number } | undefined;
  if (lambda !== undefined) {
    const [a, b] = lambda.split(',').map(Number);
    if (a === undefined || b === undefined || !(a >= 0 && a <= b && b <= 1))
      throw new UsageError('--lambda must be MIN,MAX with 0 <= MIN <= MAX <= 1');
    lambdas = { lambdaMin: Math.fround(a), lambdaMax: Math.fround(b) };
  }
  return {
    trainable,
    training: {
      ...(lr !== undefined && { learningRate: Math.fround(lr) }),
      ...lambdas,
      ...optional('update', update),
      ...optional('rounding', rounding),
    },
  };
}
