import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readModel } from '../../ml/model/format.js';
import { parseTrainable, planGraphOf } from '../../ml/plan/index.js';
import { evaluateGraph } from '../../ml/train/trainer.js';
import { type FlagSpecs, number, parseFlags, required, str, UsageError } from '../args.js';
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
  json: { type: 'boolean', help: 'print one JSON object with the results on stdout' },
};

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'Post-training 8-bit quantization (PROTOCOL.md §6): float vs integer accuracy, model artifact.',
  usage:
    'tinyfleet quantize MODEL.tfmodel --dataset NAME [--data DIR] --out MODEL.tfm [--per-channel] [--calib N] [--percentile P] [--trainable SET [--lr X] [--lambda MIN,MAX]] [--json]',
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
    const quant = await import('../../ml/quant/index.js');
    const file = await readModel(resolve(io.cwd, modelPath));
    const data = await loadData(datasetName, str(p, 'data'), io.env);
    const t0 = performance.now();
    const q = quant.postTrainingQuantize(file.graph, data.train, {
      perChannel,
      samples,
      ...(percentile !== undefined ? { percentile } : {}),
      ...(data.inputEncoding ? { inputQ: data.inputEncoding } : {}),
    });
    const test = limitSplit(data.test, limit);
    const floatAcc = evaluateGraph(file.graph, test).accuracy;
    const qe = quant.evaluateQuantized(q, test);
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
        `float_accuracy ${(floatAcc * 100).toFixed(2)}%  quant_accuracy ${(qe.accuracy * 100).toFixed(2)}% (${qe.samples} samples, ${result.weights})\n`,
      );
      if (out) io.stdout.write(`wrote ${out} (${artifactBytes} bytes, arena ${result.arena_bytes} bytes)\n`);
    }
    return 0;
  },
};

type Quant = typeof import('../../ml/quant/index.js');
type QGraph = ReturnType<Quant['postTrainingQuantize']>;

/** `--trainable`, `--lr`, `--lambda` -> the artifact's training plan and defaults (PROTOCOL.md §5.7). */
function trainingOptions(p: ReturnType<typeof parseFlags>, q: QGraph, quant: Quant) {
  const spec = str(p, 'trainable');
  if (spec === undefined) {
    if (str(p, 'lr') !== undefined || str(p, 'lambda') !== undefined)
      throw new UsageError('--lr and --lambda go with --trainable');
    return {};
  }
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
    training: { ...(lr !== undefined && { learningRate: Math.fround(lr) }), ...lambdas },
  };
}
