/** The command registry: one file per command in this folder. */
import type { Command } from './command.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { quantizeCommand } from './quantize.js';
import { trainCommand } from './train.js';

export type { Command } from './command.js';

export const COMMANDS: readonly Command[] = [
  trainCommand,
  evalCommand,
  quantizeCommand,
  exportCommand,
  importCommand,
];
