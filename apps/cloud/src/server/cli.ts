/**
 * `cloud start` as a function of its options, shared by the `tinyfleet` CLI (`tinyfleet cloud start
 * [--config FILE]`, src/cli/commands/cloud.ts) and `server/main.ts`. Prints where to connect and, on
 * the first start of a data directory, the admin API token; stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import type { Log } from '../broker/index.js';
import { type CloudConfigInput, ConfigError, loadConfigFile, resolveConfig } from './config.js';
import { CLOUD_START_OPTIONS } from './options.js';
import { type RunningCloud, startCloud } from './start.js';

export const CLOUD_START_HELP = `Usage: tinyfleet cloud start [--config FILE] [options]

Starts the TinyFleet cloud: HTTP API, MQTT broker (embedded by default), SQLite store. Options override
the config file, which overrides the embedded defaults.

Options:
${CLOUD_START_OPTIONS.map(([k, h, v]) => `  --${k}${v ? ` ${v}` : ''}`.padEnd(20) + h).join('\n')}
  -h, --help          show this help

The admin API token is printed once, on the first start of a data directory. Keep it.
API description: GET /openapi.json. Live events: GET /v1/stream (SSE). SIGINT/SIGTERM stop it.
`;

/** The options as given (strings, as on a command line). */
export interface CloudStartOptions {
  readonly config?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly host?: string | undefined;
  readonly httpPort?: string | undefined;
  readonly mqttPort?: string | undefined;
  readonly wsPort?: string | undefined;
  readonly verbose?: boolean | undefined;
}

function port(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`--${name}: not a port: ${v}`);
  return n;
}

/** Defaults <- config file <- options. Throws ConfigError naming the bad option or key. */
export function cloudConfigOf(o: CloudStartOptions): CloudConfigInput {
  const file: CloudConfigInput = o.config ? loadConfigFile(o.config) : {};
  const embedded = file.mqtt?.mode === 'external' ? undefined : file.mqtt;
  const wsPort = o.wsPort === 'off' ? null : port('ws-port', o.wsPort);
  return {
    ...file,
    dataDir: o.dataDir ?? file.dataDir,
    host: o.host ?? file.host,
    httpPort: port('http-port', o.httpPort) ?? file.httpPort,
    mqtt:
      file.mqtt?.mode === 'external'
        ? file.mqtt
        : {
            mode: 'embedded',
            port: port('mqtt-port', o.mqttPort) ?? embedded?.port,
            wsPort: wsPort === undefined ? embedded?.wsPort : wsPort,
          },
  };
}

/** What a started cloud prints: where to connect, and the admin token on a first start. */
export function cloudBanner(cloud: RunningCloud, dataDir: string): string {
  const lines = [
    'TinyFleet cloud',
    `  HTTP API      ${cloud.httpUrl}   (description: ${cloud.httpUrl}/openapi.json)`,
    `  live stream   ${cloud.httpUrl}/v1/stream`,
    `  MQTT          ${cloud.mqttUrl}`,
    ...(cloud.wsUrl ? [`  MQTT over WS  ${cloud.wsUrl}`] : []),
    `  data dir      ${dataDir}`,
  ];
  if (cloud.adminToken) {
    lines.push(
      '',
      `  admin token   ${cloud.adminToken}`,
      '  (shown only on this first start; use it as "Authorization: Bearer <token>")',
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface ServedCloud {
  readonly cloud: RunningCloud;
  /** Resolves with the exit code once a SIGINT/SIGTERM has stopped the cloud (1 if stopping failed). */
  readonly stopped: Promise<number>;
}

/**
 * Starts the cloud, prints its banner with `out`, and stops it on the first SIGINT or SIGTERM (a second
 * one while stopping exits at once, 130).
 */
export async function serveCloud(
  o: CloudStartOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<ServedCloud> {
  const input = cloudConfigOf(o);
  const log: Log = (level, msg, e) => {
    if (level === 'error' || o.verbose)
      err(`[${level}] ${msg}${e instanceof Error ? `: ${e.message}` : ''}\n`);
  };
  const cloud = await startCloud(input, log);
  out(cloudBanner(cloud, resolveConfig(input).dataDir));
  let stopping = false;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    onSignal = (signal) => {
      if (stopping) {
        err(`${signal} again: exiting at once\n`);
        process.exit(130);
      }
      stopping = true;
      out(`\n${signal}: stopping\n`);
      cloud.stop().then(
        () => {
          out('stopped\n');
          resolve(0);
        },
        (e: unknown) => {
          err(`stopping failed: ${e instanceof Error ? e.message : String(e)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  void stopped.then(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  return { cloud, stopped };
}

/** `server/main.ts`: parses `argv`, serves until a signal, then exits the process. */
export async function runCloudStart(argv: string[]): Promise<RunningCloud | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      'http-port': { type: 'string' },
      'mqtt-port': { type: 'string' },
      'ws-port': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(CLOUD_START_HELP);
    return undefined;
  }
  const served = await serveCloud(
    {
      config: values.config,
      dataDir: values['data-dir'],
      host: values.host,
      httpPort: values['http-port'],
      mqttPort: values['mqtt-port'],
      wsPort: values['ws-port'],
      verbose: values.verbose,
    },
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  );
  void served.stopped.then((code) => process.exit(code));
  return served.cloud;
}
