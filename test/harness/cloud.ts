/**
 * The cloud of a site, in process (`startCloud` from `@tinyfleet/cloud/server`), plus a small client of
 * its HTTP API. The admin token the cloud shows once, on the first start of a data directory, is kept
 * in `<token file>` (mode 0600) so later starts on the same directory can use the API.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type RunningCloud, startCloud } from '@tinyfleet/cloud/server';

export type { RunningCloud };

export interface CloudPorts {
  /** 0 = any free port. */
  readonly http: number;
  readonly mqtt: number;
  /** null = no MQTT over WebSocket. */
  readonly ws: number | null;
}

export interface SiteCloud {
  readonly cloud: RunningCloud;
  readonly adminToken: string;
  /** True when this start created the data directory's admin token. */
  readonly firstStart: boolean;
  readonly api: Api;
  /** The ports actually bound (so a restart can take the same ones). */
  readonly ports: { http: number; mqtt: number; ws: number | null };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** A JSON client of the cloud API with a bearer token; non-2xx answers throw ApiError. */
export function apiClient(baseUrl: string, token: string): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, `${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

const portOf = (url: string | undefined) => (url ? Number(new URL(url).port) : null);

/** Starts the cloud on `dataDir`; keeps or reads its admin token in `tokenFile`. */
export async function startSiteCloud(o: {
  dataDir: string;
  tokenFile: string;
  ports: CloudPorts;
  log?: (level: string, msg: string, err?: unknown) => void;
}): Promise<SiteCloud> {
  const cloud = await startCloud(
    {
      dataDir: o.dataDir,
      host: '127.0.0.1',
      httpPort: o.ports.http,
      mqtt: { mode: 'embedded', port: o.ports.mqtt, wsPort: o.ports.ws },
    },
    o.log,
  );
  try {
    let token = cloud.adminToken;
    const firstStart = token !== undefined;
    if (token !== undefined) {
      writeFileSync(o.tokenFile, `${token}\n`, { mode: 0o600 });
      chmodSync(o.tokenFile, 0o600); // an older file keeps its mode on overwrite
    } else if (existsSync(o.tokenFile)) {
      token = readFileSync(o.tokenFile, 'utf8').trim();
    } else {
      throw new Error(
        `the cloud data directory ${o.dataDir} exists, but its admin token was not kept in ${o.tokenFile}; ` +
          'remove the directory to start afresh, or put the token in that file',
      );
    }
    const api = apiClient(cloud.httpUrl, token);
    try {
      await api('GET', '/v1/fleets?limit=1');
    } catch (e) {
      throw new Error(`the admin token in ${o.tokenFile} is not accepted by the cloud (${String(e)})`, {
        cause: e,
      });
    }
    return {
      cloud,
      adminToken: token,
      firstStart,
      api,
      ports: { http: portOf(cloud.httpUrl) ?? 0, mqtt: portOf(cloud.mqttUrl) ?? 0, ws: portOf(cloud.wsUrl) },
    };
  } catch (e) {
    await cloud.stop();
    throw e;
  }
}
