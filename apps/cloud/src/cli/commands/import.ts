import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { shapeSize } from '../../ml/graph/types.js';
import { writeModel } from '../../ml/model/format.js';
import { importOnnx } from '../../ml/onnx/import.js';
import { type FlagSpecs, parseFlags, str, UsageError } from '../args.js';
import type { Command } from './command.js';

const flags: FlagSpecs = {
  'arch-name': { type: 'string', value: 'NAME', help: 'architecture name stored in the model (onnx)' },
  json: { type: 'boolean', help: 'print one JSON object with the results on stdout' },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'Import a model from another format (onnx: e.g. torch.onnx.export output) into a model file.',
  usage: 'tinyfleet import onnx IN.onnx OUT.tfmodel [--arch-name NAME] [--json]',
  flags,
  positionals: 3,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 3);
    const [format, inPath, outPath] = p.positionals;
    if (format !== 'onnx') throw new UsageError(`unknown import format "${format ?? ''}"; known: onnx`);
    if (!inPath || !outPath) throw new UsageError('expected the ONNX file and the output model file');
    const arch = str(p, 'arch-name') ?? 'onnx';
    const bytes = await readFile(resolve(io.cwd, inPath));
    const { graph, opset, producer } = importOnnx(bytes, { name: arch });
    const metadata = { arch, source: 'onnx', onnxFile: inPath, onnxOpset: opset, onnxProducer: producer };
    await writeModel(resolve(io.cwd, outPath), { graph, metadata, training: null });
    const params = Object.values(graph.params).reduce((n, t) => n + shapeSize(t.shape), 0);
    const result = {
      model: outPath,
      source: inPath,
      arch,
      opset,
      producer,
      nodes: graph.nodes.length,
      params,
      input_shape: graph.inputs[0]?.shape,
    };
    if (p.flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else
      io.stdout.write(
        `wrote ${outPath}: ${graph.nodes.length} nodes, ${params} parameters, input [${graph.inputs[0]?.shape.join(', ')}] (NHWC)\n`,
      );
    return 0;
  },
};
