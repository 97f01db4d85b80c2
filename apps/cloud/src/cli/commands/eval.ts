import { resolve } from 'node:path';
import { readModel } from '../../ml/model/format.js';
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
  batch: { type: 'string', value: 'B', help: 'evaluation batch size (256)' },
  limit: { type: 'string', value: 'N', help: 'evaluate only the first N test samples' },
  json: { type: 'boolean', help: 'print one JSON object with the results on stdout' },
};

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a model file on the test split of a data set (accuracy and loss).',
  usage: 'tinyfleet eval MODEL.tfmodel --dataset NAME [--data DIR] [--json]',
  flags,
  positionals: 1,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 1);
    const modelPath = p.positionals[0];
    if (!modelPath) throw new UsageError('missing the model file argument');
    const datasetName = required(p, 'dataset');
    const batch = number(p, 'batch', { integer: true, min: 1 }) ?? 256;
    const limit = number(p, 'limit', { integer: true, min: 1 });
    const file = await readModel(resolve(io.cwd, modelPath));
    const data = await loadData(datasetName, str(p, 'data'), io.env);
    const t0 = performance.now();
    const r = evaluateGraph(file.graph, limitSplit(data.test, limit), batch);
    const seconds = (performance.now() - t0) / 1000;
    const result = {
      model: modelPath,
      dataset: data.name,
      test_accuracy: r.accuracy,
      test_loss: r.loss,
      test_samples: r.samples,
      seconds,
    };
    if (p.flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      io.stdout.write(
        `test accuracy ${(r.accuracy * 100).toFixed(2)}% (loss ${r.loss.toFixed(4)}, ${r.samples} samples)\n`,
      );
    }
    return 0;
  },
};
