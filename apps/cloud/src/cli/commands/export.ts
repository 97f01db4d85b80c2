import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readModel } from '../../ml/model/format.js';
import { exportOnnx } from '../../ml/onnx/export.js';
import { type FlagSpecs, parseFlags, UsageError } from '../args.js';
import type { Command } from './command.js';

const flags: FlagSpecs = {
  json: { type: 'boolean', help: 'print one JSON object with the results on stdout' },
};

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a model file to another format: onnx (opset 13, NCHW input and output).',
  usage: 'tinyfleet export onnx MODEL.tfmodel OUT.onnx [--json]',
  flags,
  positionals: 3,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 3);
    const [format, modelPath, outPath] = p.positionals;
    if (format !== 'onnx') throw new UsageError(`unknown export format "${format ?? ''}"; known: onnx`);
    if (!modelPath || !outPath) throw new UsageError('expected the model file and the output file');
    const file = await readModel(resolve(io.cwd, modelPath));
    const bytes = exportOnnx(file.graph, {
      docString: `TinyFleet ${String(file.metadata.arch ?? file.graph.name)}`,
    });
    await writeFile(resolve(io.cwd, outPath), bytes);
    const result = {
      model: modelPath,
      out: outPath,
      format: 'onnx',
      opset: 13,
      bytes: bytes.length,
      input: file.graph.inputs[0]?.name,
    };
    if (p.flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else io.stdout.write(`wrote ${outPath} (ONNX opset 13, ${bytes.length} bytes; input is NCHW)\n`);
    return 0;
  },
};
