import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readArtifact } from '@tinyfleet/protocol/artifact';
import { readModel } from '../../ml/model/format.js';
import { type FlagSpecs, number, parseFlags, required, str, UsageError } from '../args.js';
import type { Command } from './command.js';

const flags: FlagSpecs = {
  target: { type: 'string', value: 'PROFILE', help: 'MCU profile (see --list-targets)' },
  trainable: {
    type: 'string',
    value: 'SET',
    help: 'ops trained on the device: none (default; a .tfm: its own set), all, lastN, or indices 2,5',
  },
  'update-rate': {
    type: 'string',
    value: 'R',
    help: 'dynamic partial update rate in (0, 1] for backward cost (1)',
  },
  'per-channel': {
    type: 'boolean',
    help: '.tfmodel: size int8 per-channel weights (default uint8 per-tensor)',
  },
  'list-targets': { type: 'boolean', help: 'print the MCU profile table and exit' },
  json: { type: 'boolean', help: 'print one JSON object on stdout' },
};

const KB = 1024;

export const planCommand: Command = {
  name: 'plan',
  summary:
    'Memory and latency plan of a model on an MCU profile: flash, RAM, training RAM, MACs, latency, energy.',
  usage:
    'tinyfleet plan MODEL.tfmodel|MODEL.tfm --target PROFILE [--trainable none|all|lastN|I,J] [--update-rate R] [--json]\n       tinyfleet plan --list-targets [--json]',
  flags,
  positionals: 1,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 1);
    const plan = await import('../../ml/plan/index.js');
    if (p.flags['list-targets']) {
      if (p.flags.json) io.stdout.write(`${JSON.stringify(plan.PROFILES)}\n`);
      else {
        for (const t of plan.PROFILES) {
          io.stdout.write(
            `${t.name.padEnd(20)} ${t.part}, ${t.clockHz / 1e6} MHz, ${t.ramBytes / KB} KB RAM, ${t.flashBytes / KB} KB flash, ${t.activeMw} mW\n`,
          );
        }
      }
      return 0;
    }
    const modelPath = p.positionals[0];
    if (!modelPath) throw new UsageError('missing the model file argument');
    const profile = plan.profileByName(required(p, 'target'));
    const rate = number(p, 'update-rate', { min: 1e-9, max: 1 }) ?? 1;
    const path = resolve(io.cwd, modelPath);
    let model: Parameters<typeof plan.planGraphOf>[0];
    if (modelPath.endsWith('.tfm')) model = readArtifact(new Uint8Array(await readFile(path)));
    else
      model = plan.floatToArtifactModel((await readModel(path)).graph, {
        perChannel: p.flags['per-channel'] === true,
      });
    const g = plan.planGraphOf(model);
    const spec = str(p, 'trainable');
    const trainable =
      spec !== undefined ? plan.parseTrainable(spec, g) : (model.training?.trainableOps ?? []);
    const r = plan.planModel(g, profile, { trainable, updateRate: rate });
    if (p.flags.json) io.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      const kb = (b: number): string => `${(b / KB).toFixed(1)} KB`;
      io.stdout.write(
        `${r.model} on ${r.target}: ${r.fits ? 'fits' : `does not fit (${r.limits.join(', ')})`}\n` +
          `  flash ${kb(r.flash_bytes)} of ${kb(r.detail.flash_limit_bytes)} (model slot)\n` +
          `  ram ${kb(r.ram_bytes)}, train ram ${kb(r.train_ram_bytes)} of ${kb(r.detail.ram_limit_bytes)}\n` +
          `  ${r.macs} MACs, ${r.latency_ms} ms, ${r.energy_mj} mJ per inference\n`,
      );
      if (r.trainable_ops.length > 0) {
        io.stdout.write(
          `  training ops ${r.trainable_ops.join(', ')}: ${r.backward_macs} backward MACs, ${r.train_latency_ms} ms, ${r.train_energy_mj} mJ per sample\n`,
        );
      }
    }
    return 0;
  },
};
