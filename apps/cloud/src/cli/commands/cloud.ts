/**
 * `tinyfleet cloud start [--config FILE]`: runs the cloud service (HTTP API, MQTT broker, SQLite store;
 * src/server) in the foreground until SIGINT or SIGTERM, then stops it cleanly and exits 0.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../../server/config.js';
import { CLOUD_START_OPTIONS } from '../../server/options.js';
import { type FlagSpecs, parseFlags, str, UsageError } from '../args.js';
import type { Command } from './command.js';

const flags: FlagSpecs = Object.fromEntries(
  CLOUD_START_OPTIONS.map(([name, help, value]) => [
    name,
    value === undefined ? { type: 'boolean', help } : { type: 'string', value, help },
  ]),
);

export const cloudCommand: Command = {
  name: 'cloud',
  summary:
    'Run the cloud service: HTTP API, MQTT broker, SQLite store (prints the admin token on first start).',
  usage: 'tinyfleet cloud start [--config FILE] [--data-dir DIR] [--http-port N] [--mqtt-port N] [...]',
  flags,
  positionals: 1,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 1);
    const [sub] = p.positionals;
    if (sub !== 'start') throw new UsageError(`unknown subcommand "${sub ?? ''}"; known: start`);
    const path = (v: string | undefined) => (v === undefined ? undefined : resolve(io.cwd, v));
    // Loaded here, so the other commands do not load the server (HTTP, broker, store).
    const { serveCloud } = await import('../../server/cli.js');
    let served: Awaited<ReturnType<typeof serveCloud>>;
    try {
      served = await serveCloud(
        {
          config: path(str(p, 'config')),
          dataDir: path(str(p, 'data-dir')),
          host: str(p, 'host'),
          httpPort: str(p, 'http-port'),
          mqttPort: str(p, 'mqtt-port'),
          wsPort: str(p, 'ws-port'),
          verbose: p.flags.verbose === true,
        },
        (s) => io.stdout.write(s),
        (s) => io.stderr.write(s),
      );
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message, { cause: e });
      throw e;
    }
    return served.stopped;
  },
};
