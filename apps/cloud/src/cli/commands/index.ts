/** The command registry: one file per command in this folder. */
import { cloudCommand } from './cloud.js';
import type { Command } from './command.js';
import { compressCommand } from './compress.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { fqtSimCommand } from './fqt-sim.js';
import { importCommand } from './import.js';
import { jobsCommand } from './jobs.js';
import { nasCommand } from './nas.js';
import { otaCommand } from './ota.js';
import { planCommand } from './plan.js';
import { quantizeCommand } from './quantize.js';
import { trainCommand } from './train.js';

export type { Command } from './command.js';

export const COMMANDS: readonly Command[] = [
  trainCommand,
  evalCommand,
  quantizeCommand,
  compressCommand,
  exportCommand,
  importCommand,
  fqtSimCommand,
  nasCommand,
  planCommand,
  otaCommand,
  jobsCommand,
  cloudCommand,
];
