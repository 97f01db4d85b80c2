/** `tinyfleet` CLI entry: dispatches to src/cli/commands/*, maps errors to exit codes. */
import { formatHelp, UsageError } from './args.js';
import { COMMANDS } from './commands/index.js';
import { type CliIo, processIo } from './io.js';

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: tinyfleet <command> [options]\n\ncommands:\n${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}\n\nRun "tinyfleet <command> --help" for the options of a command.\n`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(topHelp());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(`tinyfleet: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(formatHelp(cmd.usage, cmd.summary, cmd.flags));
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(
        `tinyfleet ${name}: ${e.message}\nusage: ${cmd.usage}\nRun "tinyfleet ${name} --help" for all options.\n`,
      );
      return 2;
    }
    const err = e as Error & { code?: string };
    io.stderr.write(
      `tinyfleet ${name}: ${err.name ?? 'Error'}${err.code ? ` [${err.code}]` : ''}: ${err.message}\n`,
    );
    return 1;
  }
}
