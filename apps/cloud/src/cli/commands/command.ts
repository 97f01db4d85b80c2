import type { FlagSpecs } from '../args.js';
import type { CliIo } from '../io.js';

/** One CLI command; add a file in this folder and register it in `index.ts`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: FlagSpecs;
  /** Number of positional arguments accepted. */
  readonly positionals: number;
  /** Returns the exit code. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
