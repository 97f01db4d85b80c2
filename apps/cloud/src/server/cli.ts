/**
 * `cloud start` as a function of its arguments, so both `server/main.ts` and the `tinyfleet` CLI
 * (`tinyfleet cloud start [--config FILE]`) can run it. Prints where to connect and, on the first start
 * of a data directory, the admin API token; stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import type { Log } from '../broker/index.js';
import { type CloudConfigInput, ConfigError, DEFAULT_CONFIG, loadConfigFile } from './config.js';
import { type RunningCloud, startCloud } from './start.js';

export const CLOUD_START_HELP = `Usage: tinyfleet-cloud [--config FILE] [options]

Starts the TinyFleet cloud: HTTP API, MQTT broker (embedded by default), SQLite store.

Options (override the config file):
  --config FILE      JSON config (keys: dataDir, host, httpPort, mqtt {mode, port, wsPort, url, wsUrl,
                     serviceSecret}, publicMqttUrl, drainTimeoutMs, sseHeartbeatMs)
  --data-dir DIR     data directory (default ${DEFAULT_CONFIG.dataDir}, under the current directory)
  --host HOST        listen address (default ${DEFAULT_CONFIG.host})
  --http-port N      HTTP API port (default ${DEFAULT_CONFIG.httpPort}; 0 = any free port)
  --mqtt-port N      embedded MQTT port (default 1883)
  --ws-port N        embedded MQTT-over-WebSocket port (default 8081; "off" to disable)
  --verbose          log broker warnings
  -h, --help         show this help

The admin API token is printed once, on the first start of a data directory. Keep it.
API description: GET /openapi.json. Live events: GET /v1/stream (SSE).
`;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--${name}: not a port: ${v}`);
  return n;
}

/** Parse `argv`, start the cloud, print its URLs; resolves once it runs (undefined after --help). */
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
  const file: CloudConfigInput = values.config ? loadConfigFile(values.config) : {};
  const embedded = file.mqtt?.mode === 'external' ? undefined : file.mqtt;
  const wsPort = values['ws-port'] === 'off' ? null : num('ws-port', values['ws-port']);
  const config: CloudConfigInput = {
    ...file,
    dataDir: values['data-dir'] ?? file.dataDir,
    host: values.host ?? file.host,
    httpPort: num('http-port', values['http-port']) ?? file.httpPort,
    mqtt:
      file.mqtt?.mode === 'external'
        ? file.mqtt
        : {
            mode: 'embedded',
            port: num('mqtt-port', values['mqtt-port']) ?? embedded?.port,
            wsPort: wsPort === undefined ? embedded?.wsPort : wsPort,
          },
  };
  const log: Log = (level, msg, err) => {
    if (level === 'error' || values.verbose)
      console.error(`[${level}] ${msg}${err instanceof Error ? `: ${err.message}` : ''}`);
  };
  const cloud = await startCloud(config, log);
  console.log(`TinyFleet cloud
  HTTP API      ${cloud.httpUrl}   (description: ${cloud.httpUrl}/openapi.json)
  live stream   ${cloud.httpUrl}/v1/stream
  MQTT          ${cloud.mqttUrl}${cloud.wsUrl ? `\n  MQTT over WS  ${cloud.wsUrl}` : ''}`);
  if (cloud.adminToken) {
    console.log(
      `\n  admin token   ${cloud.adminToken}\n  (shown only on this first start; use it as "Authorization: Bearer <token>")`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    cloud.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return cloud;
}
