export { type FlagSpec, type FlagSpecs, UsageError } from './args.js';
export { COMMANDS, type Command } from './commands/index.js';
export type { CliIo } from './io.js';
export { main } from './main.js';
