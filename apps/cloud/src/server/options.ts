/** `cloud start`'s options and config keys, for help texts (light: no server code is loaded). */
import { DEFAULT_CONFIG } from './config.js';

const embeddedDefaults = DEFAULT_CONFIG.mqtt as { port: number; wsPort: number | null };

/** The config file's keys, for help texts. */
export const CLOUD_CONFIG_KEYS =
  'dataDir, host, httpPort, mqtt {mode: "embedded" | "external", port, wsPort (null = off), url, wsUrl, ' +
  'serviceSecret}, publicMqttUrl, drainTimeoutMs, sseHeartbeatMs, ingestWorker (ingest in a worker thread; ' +
  'default false: slower on 2 cores)';

/** `cloud start`'s options (CLI flag -> meaning), in the order they are shown. */
export const CLOUD_START_OPTIONS: readonly (readonly [string, string, string?])[] = [
  ['config', `JSON config file; keys: ${CLOUD_CONFIG_KEYS} (unknown keys are refused)`, 'FILE'],
  ['data-dir', `data directory: SQLite store, service secret (default ${DEFAULT_CONFIG.dataDir})`, 'DIR'],
  ['host', `listen address (default ${DEFAULT_CONFIG.host})`, 'HOST'],
  ['http-port', `HTTP API port (default ${DEFAULT_CONFIG.httpPort}; 0 = any free port)`, 'N'],
  ['mqtt-port', `embedded MQTT broker port (default ${embeddedDefaults.port}; 0 = any free port)`, 'N'],
  ['ws-port', `embedded MQTT over WebSocket port (default ${embeddedDefaults.wsPort}; "off": none)`, 'N'],
  ['verbose', 'log broker warnings on stderr'],
];
