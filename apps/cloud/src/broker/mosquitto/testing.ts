/** Shared by the mosquitto tests: the cloud's HTTP API as an admin, gateways with credentials, polling. */
import type { RunningCloud } from '../../server/index.js';

export interface GatewayCreds {
  id: string;
  url: string;
  username: string;
  password: string;
  clientId: string;
}

export function api(cloud: RunningCloud, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const init: RequestInit = {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(5000),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${cloud.httpUrl}${path}`, init);
    return { status: res.status, json: (await res.json()) as T };
  };
}

/** A fleet with `n` gateways registered through the API (PROTOCOL.md §2.2: credentials issued by the API). */
export async function registerGateways(cloud: RunningCloud, n: number): Promise<GatewayCreds[]> {
  const call = api(cloud, cloud.adminToken ?? '');
  const fleet = await call<{ id: string }>('POST', '/v1/fleets', { name: 'acl' });
  if (fleet.status !== 201) throw new Error(`POST /v1/fleets: ${fleet.status}`);
  const out: GatewayCreds[] = [];
  for (let i = 0; i < n; i++) {
    const r = await call<{
      gateway: { id: string };
      mqtt: { url: string; username: string; password: string; clientId: string };
    }>('POST', '/v1/gateways', { fleetId: fleet.json.id, name: `gw${i}` });
    if (r.status !== 201) throw new Error(`POST /v1/gateways: ${r.status}`);
    out.push({ id: r.json.gateway.id, ...r.json.mqtt });
  }
  return out;
}

/** Poll `pred` every 10 ms until it holds; throws after `ms` with `what`. */
export async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
