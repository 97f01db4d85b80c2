/**
 * Cloud configuration: embedded defaults, overridden by a JSON file, overridden by explicit options.
 * Validated at the boundary; unknown keys are refused so a typo does not silently fall back to a default.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  boolean,
  enumOf,
  int,
  nullable,
  object,
  optional,
  parse,
  string,
  ValidationError,
} from '../api/validate/index.js';

export interface CloudConfig {
  /** Where the SQLite file and the service secret live. Default `.tinyfleet/cloud` under the cwd. */
  dataDir: string;
  /** Interface the listeners bind to. */
  host: string;
  httpPort: number;
  mqtt:
    | { mode: 'embedded'; port: number; wsPort: number | null }
    | { mode: 'external'; url: string; wsUrl?: string | undefined; serviceSecret: string };
  /** MQTT URL given to gateways with their credentials, when it differs from the listener's. */
  publicMqttUrl?: string | undefined;
  /** aedes drainTimeout: a subscriber that blocks longer is disconnected. */
  drainTimeoutMs: number;
  /** SSE heartbeat comment period. */
  sseHeartbeatMs: number;
  /**
   * Ingest gradient updates in a worker thread (broker/ingest/offload.ts): keeps SQLite and fsync off the
   * broker's thread, for machines with cores to spare. Off by default: on 2 cores it is slower
   * (bench:ingest 0.29 against 0.38 inline).
   */
  ingestWorker: boolean;
}

export const DEFAULT_CONFIG: CloudConfig = {
  dataDir: '.tinyfleet/cloud',
  host: '127.0.0.1',
  httpPort: 8080,
  mqtt: { mode: 'embedded', port: 1883, wsPort: 8081 },
  drainTimeoutMs: 10_000,
  sseHeartbeatMs: 15_000,
  ingestWorker: false,
};

export type CloudConfigInput = Partial<Omit<CloudConfig, 'mqtt'>> & {
  mqtt?:
    | Partial<Extract<CloudConfig['mqtt'], { mode: 'embedded' }>>
    | Extract<CloudConfig['mqtt'], { mode: 'external' }>;
};

const port = () => int({ min: 0, max: 65535 });

const fileSchema = object({
  dataDir: optional(string({ min: 1, max: 4096 })),
  host: optional(string({ min: 1, max: 255 })),
  httpPort: optional(port()),
  mqtt: optional(
    object({
      mode: optional(enumOf(['embedded', 'external'] as const)),
      port: optional(port()),
      wsPort: optional(nullable(port())),
      url: optional(string({ pattern: /^(mqtts?|wss?):\/\// })),
      wsUrl: optional(string({ pattern: /^wss?:\/\// })),
      serviceSecret: optional(string({ min: 16, max: 256 })),
    }),
  ),
  publicMqttUrl: optional(string({ pattern: /^(mqtts?|wss?):\/\// })),
  drainTimeoutMs: optional(int({ min: 0, max: 600_000 })),
  sseHeartbeatMs: optional(int({ min: 100, max: 600_000 })),
  ingestWorker: optional(boolean()),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'BAD_CONFIG';
}

/** Read and validate a JSON config file. */
export function loadConfigFile(path: string): CloudConfigInput {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  try {
    const c = parse(fileSchema, raw);
    const { mqtt, ...rest } = c;
    if (mqtt?.mode === 'external') {
      if (!mqtt.url || !mqtt.serviceSecret)
        throw new ConfigError('mqtt.mode external needs mqtt.url and mqtt.serviceSecret');
      return {
        ...rest,
        mqtt: { mode: 'external', url: mqtt.url, wsUrl: mqtt.wsUrl, serviceSecret: mqtt.serviceSecret },
      };
    }
    if (mqtt?.url || mqtt?.serviceSecret)
      throw new ConfigError('mqtt.url and mqtt.serviceSecret need mqtt.mode external');
    return { ...rest, ...(mqtt && { mqtt: { mode: 'embedded', port: mqtt.port, wsPort: mqtt.wsPort } }) };
  } catch (e) {
    if (e instanceof ValidationError) throw new ConfigError(`config ${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Defaults <- input; the data dir is resolved against `cwd`. */
export function resolveConfig(input: CloudConfigInput = {}, cwd = process.cwd()): CloudConfig {
  const { mqtt, ...rest } = input;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const base = { ...DEFAULT_CONFIG, ...defined };
  let m: CloudConfig['mqtt'];
  if (mqtt?.mode === 'external') m = mqtt;
  else {
    const d = DEFAULT_CONFIG.mqtt as Extract<CloudConfig['mqtt'], { mode: 'embedded' }>;
    m = {
      mode: 'embedded',
      port: mqtt?.port ?? d.port,
      wsPort: mqtt?.wsPort === undefined ? d.wsPort : mqtt.wsPort,
    };
  }
  return { ...base, dataDir: resolve(cwd, base.dataDir), mqtt: m };
}
