/**
 * The gateway daemon of a site as a child process (`tinyfleet-gateway --config FILE`, apps/gateway): its
 * config written from the cloud's credentials and the virtual MCUs' port paths, its JSON log lines
 * parsed, its status endpoint read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Child, waitFor } from './procs.js';
import { REPO_ROOT } from './vmcu.js';

export const GATEWAY_BIN = join(REPO_ROOT, 'apps', 'gateway', 'bin', 'tinyfleet-gateway.js');

/** The gateway data source a site trains on (config `sources[]`, apps/gateway/README.md). */
export type SourceConfig =
  | {
      readonly name: string;
      readonly type: 'synthetic';
      readonly shape: readonly number[];
      readonly classes: number;
      readonly size: number;
    }
  | {
      readonly name: string;
      readonly type: 'mnist';
      /** Folder holding mnist/ (default: the gateway's default datasets folder). */
      readonly dir?: string;
      readonly split?: 'train' | 'test';
      readonly transform?: 'invert';
    };

export interface GatewaySetup {
  readonly gatewayId: string;
  readonly mqttUrl: string;
  /** File holding the MQTT password (mode 0600). */
  readonly passwordFile: string;
  /** The gateway's own data directory (outbox, command ledger). */
  readonly dataDir: string;
  readonly ports: readonly string[];
  /** Status endpoint port; 0 = any free port. */
  readonly statusPort: number;
  readonly source: SourceConfig;
  /** Device heartbeat period asked for in HELLO_ACK. */
  readonly heartbeatMs: number;
  /** Trusted artifact signing keys (config `keys`, apps/gateway/src/ota/README.md); none = refuse all. */
  readonly keys?: GatewayKeys;
  /** Serial line rate (config `baudRate`, default 921600). */
  readonly baudRate?: number;
}

/** Config `keys`: a key file, the cloud's `GET /v1/keys`, or both. */
export interface GatewayKeys {
  readonly file?: string;
  readonly cloudApiUrl?: string;
  readonly allowUnsigned?: boolean;
}

/** Writes the gateway's JSON config (schema: apps/gateway/src/config) and returns its path. */
export function writeGatewayConfig(file: string, s: GatewaySetup): string {
  mkdirSync(s.dataDir, { recursive: true });
  const config = {
    gatewayId: s.gatewayId,
    dataDir: s.dataDir,
    mqtt: { url: s.mqttUrl, passwordFile: s.passwordFile, reconnect: { baseMs: 250, maxMs: 2000 } },
    ports: s.ports,
    scanIntervalMs: 1000,
    reopen: { baseMs: 250, maxMs: 2000 },
    status: { host: '127.0.0.1', port: s.statusPort },
    devices: { heartbeatMs: s.heartbeatMs },
    sources: [
      s.source.type === 'synthetic' ? { seed: 1, scale: 1 / 255, zeroPoint: 0, ...s.source } : s.source,
    ],
    defaultSource: s.source.name,
    sampleRate: 200,
    logLevel: 'info',
    ...(s.keys !== undefined && { keys: s.keys }),
    ...(s.baudRate !== undefined && { baudRate: s.baudRate }),
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** A parsed log line of the daemon. */
export interface GatewayLogRecord {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export interface GatewayStatus {
  healthy: boolean;
  gatewayId: string;
  cloud: { state: string; connects: number; published: number; acked: number };
  outbox: { depth: number };
  devices: { deviceId: string; linked: boolean; core: string; boot: number; path: string }[];
  sessions: unknown[];
}

export interface RunningGateway {
  readonly child: Child;
  readonly statusUrl: string;
  readonly logs: GatewayLogRecord[];
  status(): Promise<GatewayStatus>;
}

/** Starts the daemon and waits for its "gateway started" line (which names the status URL). */
export async function startGateway(o: {
  configFile: string;
  logFile?: string;
  onLog?: (r: GatewayLogRecord) => void;
}): Promise<RunningGateway> {
  const logs: GatewayLogRecord[] = [];
  const child = new Child({
    name: 'gateway',
    cmd: process.execPath,
    args: [GATEWAY_BIN, '--config', o.configFile],
    cwd: REPO_ROOT,
    ...(o.logFile !== undefined && { logFile: o.logFile }),
    onLine: (line) => {
      let r: GatewayLogRecord;
      try {
        r = JSON.parse(line) as GatewayLogRecord;
        if (typeof r !== 'object' || r === null || typeof r.msg !== 'string') return;
      } catch {
        return; // not a log record (a stack trace, tsx noise): kept in the log file only
      }
      logs.push(r);
      if (logs.length > 5000) logs.splice(0, 1000);
      o.onLog?.(r);
    },
  });
  try {
    const statusUrl = await waitFor(
      'the gateway to start',
      () => {
        if (!child.running) throw new Error(`the gateway exited:\n${child.tail()}`);
        const started = logs.find((r) => r.msg === 'gateway started');
        return started && typeof started.status === 'string' ? started.status : undefined;
      },
      30_000,
      50,
    );
    return {
      child,
      statusUrl,
      logs,
      status: async () => {
        const res = await fetch(`${statusUrl}/status`, { signal: AbortSignal.timeout(5000) });
        return (await res.json()) as GatewayStatus;
      },
    };
  } catch (e) {
    await child.kill();
    throw e;
  }
}
