/**
 * The HTTP client of `tinyfleet ota` (apps/cloud/src/ota/README.md, "API and CLI"), and where its server
 * and token come from: --url / --token, $TINYFLEET_URL / $TINYFLEET_TOKEN, or the data directory of a
 * running `npm start` site (--site DIR: DIR/admin.token, the cloud URL its gateway uses from
 * DIR/gateway/gateway.json, the fleet from DIR/site.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type FlagSpecs, UsageError } from '../args.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The flags of every command that talks to the cloud's API (`ota`, `jobs`). */
export const API_FLAGS: FlagSpecs = {
  url: {
    type: 'string',
    value: 'URL',
    help: 'cloud HTTP API ($TINYFLEET_URL, default http://127.0.0.1:8080)',
  },
  token: { type: 'string', value: 'TOKEN', help: 'API token ($TINYFLEET_TOKEN)' },
  site: {
    type: 'string',
    value: 'DIR',
    help: "a running npm start site's data directory (.tinyfleet): its admin token, cloud URL and fleet",
  },
};

export class ApiClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call<T = unknown>(method: string, path: string, body?: unknown, raw?: Uint8Array): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(30_000) };
    if (raw) {
      headers['content-type'] = 'application/octet-stream';
      init.body = raw;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    const json: unknown = text.length > 0 ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw Object.assign(new Error(`${res.status} ${err?.message ?? res.statusText}`), {
        code: err?.code ?? 'HTTP',
        status: res.status,
      });
    }
    return json as T;
  }
}

/** What a `npm start` data directory says about its site. */
export interface SiteInfo {
  readonly token?: string;
  readonly url?: string;
  readonly fleetId?: string;
}

const readJson = (file: string): Record<string, unknown> | undefined => {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new UsageError(`--site: ${file} is not JSON`);
  }
};

/** Reads a site's data directory (scripts/start.ts, test/harness/site.ts); throws UsageError if absent. */
export function readSite(dir: string, cwd: string): SiteInfo {
  const root = resolve(cwd, dir);
  const tokenFile = join(root, 'admin.token');
  if (!existsSync(tokenFile)) throw new UsageError(`--site: no ${tokenFile} (start the site with npm start)`);
  const token = readFileSync(tokenFile, 'utf8').trim();
  const site = readJson(join(root, 'site.json'));
  const gw = readJson(join(root, 'gateway', 'gateway.json'));
  const keys = gw?.keys as { cloudApiUrl?: unknown } | undefined;
  return {
    token,
    ...(typeof keys?.cloudApiUrl === 'string' && { url: keys.cloudApiUrl }),
    ...(typeof site?.fleetId === 'string' && { fleetId: site.fleetId }),
  };
}

/** The client from flags, environment and site, in that order. */
export function apiFrom(
  flags: { url?: string | undefined; token?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  site: SiteInfo | undefined,
): ApiClient {
  const token = flags.token ?? env.TINYFLEET_TOKEN ?? site?.token;
  if (!token) throw new UsageError('missing --token (or $TINYFLEET_TOKEN, or --site DIR)');
  const url = flags.url ?? env.TINYFLEET_URL ?? site?.url ?? DEFAULT_URL;
  return new ApiClient(url.replace(/\/$/, ''), token);
}

/**
 * Reads the cloud's SSE stream (`GET /v1/stream?QUERY`) and hands each event's name and parsed JSON data to
 * `on`; resolves when the stream ends, or when the cloud drops a slow reader (`overflow`: reconnect and
 * re-read what was missed).
 */
export async function readEvents(
  api: ApiClient,
  query: string,
  signal: AbortSignal,
  on: (event: string, data: unknown) => void,
  opened: () => void,
): Promise<void> {
  const res = await fetch(`${api.url}/v1/stream?${query}`, {
    headers: { authorization: `Bearer ${api.token}` },
    signal,
  });
  const reader = res.body?.getReader();
  if (!res.ok || !reader) throw new Error(`stream: HTTP ${res.status}`);
  opened();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      if (event === 'overflow') return;
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) on(event, JSON.parse(data));
    }
  }
}
