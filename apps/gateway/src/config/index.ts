/**
 * Gateway configuration: a JSON file (see infra/gateway/gateway.example.json), validated at the boundary;
 * unknown keys are refused so that a typo cannot silently fall back to a default.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isValidId } from '@tinyfleet/protocol/mqtt';
import { HEALTH_DEFAULTS, type HealthOptions } from '../device/health.js';
import { errorText, GatewayError } from '../errors.js';
import type { LogLevel } from '../log/index.js';
import { OUTBOX_DEFAULT_MAX } from '../outbox/types.js';
import type { SourceConfig } from '../sources/index.js';
import { bad, int, type Json, MQTT_URL, obj, optStr, str, strList } from './read.js';
import { DEFAULT_SOURCE, parseSource } from './sources.js';

export interface GatewayConfig {
  /** The gateway id the cloud issued (PROTOCOL.md §2.6): also the MQTT user name. */
  gatewayId: string;
  dataDir: string;
  mqtt: {
    url: string;
    password: string;
    keepaliveS: number;
    reconnect: { baseMs: number; maxMs: number };
  };
  /** Port paths; globs (`*`, `?`) in the last segment are rescanned every `scanIntervalMs`. */
  ports: string[];
  baudRate: number;
  scanIntervalMs: number;
  reopen: { baseMs: number; maxMs: number };
  health: HealthOptions;
  /** Local health/status endpoint; null disables it. */
  status: { host: string; port: number } | null;
  devices: { names: Record<string, string>; heartbeatMs?: number };
  /** Data sources by name (README.md "Sources"); a `synthetic` one is always there. */
  sources: SourceConfig[];
  defaultSource: string;
  /** Samples per second per training session; 0 = as fast as the device's credit allows. */
  sampleRate: number;
  replyTimeoutMs: number;
  outboxMaxMessages: number;
  logLevel: LogLevel;
  /**
   * Trusted artifact signing keys (PROTOCOL.md §5.9): a key file and/or the cloud API (`GET /v1/keys`).
   * `allowUnsigned` (default false) lets unsigned artifacts through to devices.
   */
  keys: { file?: string; cloudApiUrl?: string; allowUnsigned: boolean };
}

function backoff(v: Json | undefined, path: string, base: number, max: number) {
  const o = obj(v, path, ['baseMs', 'maxMs']);
  return {
    baseMs: int(o.baseMs, `${path}.baseMs`, base, 1, 3_600_000),
    maxMs: int(o.maxMs, `${path}.maxMs`, max, 1, 3_600_000),
  };
}

/** Validates a parsed config object; relative paths resolve against `baseDir`. */
export function parseConfig(raw: Json, baseDir = process.cwd()): GatewayConfig {
  const c = obj(raw, '$', [
    'gatewayId',
    'dataDir',
    'mqtt',
    'ports',
    'baudRate',
    'scanIntervalMs',
    'reopen',
    'health',
    'status',
    'devices',
    'sources',
    'defaultSource',
    'sampleRate',
    'replyTimeoutMs',
    'outboxMaxMessages',
    'logLevel',
    'keys',
  ]);
  const gatewayId = str(c.gatewayId, '$.gatewayId');
  if (!isValidId(gatewayId)) throw bad('$.gatewayId', 'must match [A-Za-z0-9_-]{1,64} (PROTOCOL.md §2.6)');
  const m = obj(c.mqtt, '$.mqtt', ['url', 'password', 'passwordFile', 'keepaliveS', 'reconnect']);
  const passwordFile = optStr(m.passwordFile, '$.mqtt.passwordFile');
  let password = optStr(m.password, '$.mqtt.password');
  if (passwordFile !== undefined) {
    try {
      password = readFileSync(resolve(baseDir, passwordFile), 'utf8').trim();
    } catch (e) {
      throw bad('$.mqtt.passwordFile', errorText(e));
    }
  }
  if (password === undefined) throw bad('$.mqtt', 'password or passwordFile is required');
  const ports = strList(c.ports, '$.ports');
  ports.forEach((p, i) => {
    if (/[*?]/.test(dirname(p))) throw bad(`$.ports[${i}]`, 'globs only in the last path segment');
  });
  const h = obj(c.health, '$.health', ['windowMs', 'maxErrors', 'helloTimeoutMs', 'holdMs']);
  const st = c.status === null ? null : obj(c.status, '$.status', ['host', 'port']);
  const d = obj(c.devices, '$.devices', ['names', 'heartbeatMs']);
  const names: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(d.names, '$.devices.names', Object.keys(d.names ?? {}))))
    names[k] = str(v, `$.devices.names.${k}`);
  const sourcesRaw = c.sources === undefined ? [] : c.sources;
  if (!Array.isArray(sourcesRaw)) throw bad('$.sources', 'array expected');
  const sources = sourcesRaw.map((s, i) => parseSource(s, `$.sources[${i}]`, baseDir));
  const seen = new Set<string>();
  for (const [i, s] of sources.entries()) {
    if (seen.has(s.name)) throw bad(`$.sources[${i}].name`, `duplicate name ${JSON.stringify(s.name)}`);
    seen.add(s.name);
  }
  if (!sources.some((s) => s.name === DEFAULT_SOURCE.name)) sources.push(DEFAULT_SOURCE);
  const defaultSource = str(c.defaultSource, '$.defaultSource', sources[0]!.name);
  if (!sources.some((s) => s.name === defaultSource)) throw bad('$.defaultSource', 'names no source');
  const dataDir = str(c.dataDir, '$.dataDir', '.tinyfleet/gateway');
  const k = obj(c.keys, '$.keys', ['file', 'cloudApiUrl', 'allowUnsigned']);
  const keysFile = optStr(k.file, '$.keys.file');
  const cloudApiUrl =
    k.cloudApiUrl === undefined
      ? undefined
      : str(k.cloudApiUrl, '$.keys.cloudApiUrl', undefined, /^https?:\/\//);
  if (k.allowUnsigned !== undefined && typeof k.allowUnsigned !== 'boolean')
    throw bad('$.keys.allowUnsigned', 'boolean expected');
  const heartbeatMs =
    d.heartbeatMs === undefined
      ? undefined
      : int(d.heartbeatMs, '$.devices.heartbeatMs', 10_000, 1000, 3_600_000);
  return {
    gatewayId,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(baseDir, dataDir),
    mqtt: {
      url: str(m.url, '$.mqtt.url', undefined, MQTT_URL),
      password,
      keepaliveS: int(m.keepaliveS, '$.mqtt.keepaliveS', 30, 5, 3600),
      reconnect: backoff(m.reconnect, '$.mqtt.reconnect', 1000, 60_000),
    },
    ports,
    baudRate: int(c.baudRate, '$.baudRate', 921_600, 300, 16_000_000),
    scanIntervalMs: int(c.scanIntervalMs, '$.scanIntervalMs', 2000, 100, 3_600_000),
    reopen: backoff(c.reopen, '$.reopen', 500, 30_000),
    health: {
      windowMs: int(h.windowMs, '$.health.windowMs', HEALTH_DEFAULTS.windowMs, 100, 3_600_000),
      maxErrors: int(h.maxErrors, '$.health.maxErrors', HEALTH_DEFAULTS.maxErrors, 1, 1_000_000),
      helloTimeoutMs: int(
        h.helloTimeoutMs,
        '$.health.helloTimeoutMs',
        HEALTH_DEFAULTS.helloTimeoutMs,
        100,
        3_600_000,
      ),
      holdMs: int(h.holdMs, '$.health.holdMs', HEALTH_DEFAULTS.holdMs, 100, 86_400_000),
    },
    status:
      st === null
        ? null
        : {
            host: str(st.host, '$.status.host', '127.0.0.1'),
            port: int(st.port, '$.status.port', 8090, 0, 65535),
          },
    devices: { names, ...(heartbeatMs !== undefined && { heartbeatMs }) },
    sources,
    defaultSource,
    sampleRate: int(c.sampleRate, '$.sampleRate', 200, 0, 1_000_000),
    replyTimeoutMs: int(c.replyTimeoutMs, '$.replyTimeoutMs', 10_000, 100, 600_000),
    outboxMaxMessages: int(c.outboxMaxMessages, '$.outboxMaxMessages', OUTBOX_DEFAULT_MAX, 100, 100_000_000),
    logLevel: str(c.logLevel, '$.logLevel', 'info', /^(debug|info|warn|error)$/) as LogLevel,
    keys: {
      ...(keysFile !== undefined && { file: resolve(baseDir, keysFile) }),
      ...(cloudApiUrl !== undefined && { cloudApiUrl }),
      allowUnsigned: k.allowUnsigned === true,
    },
  };
}

export function loadConfig(path: string): GatewayConfig {
  let raw: Json;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch (e) {
    throw new GatewayError('BAD_CONFIG', `cannot read config ${path}: ${errorText(e)}`, { cause: e });
  }
  return parseConfig(raw, dirname(resolve(path)));
}
