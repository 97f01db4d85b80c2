/**
 * What a site keeps in its data directory between runs: the fleet and gateway it registered (site.json,
 * the gateway's MQTT password in gateway/gateway.secret, 0600), and the PIDs of its children
 * (pids.json), so the leftovers of a run that was killed can be stopped by the next one.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Api, ApiError } from './cloud.js';

export interface SiteState {
  fleetId: string;
  gatewayId: string;
}

/** First start: a fleet and a gateway (its MQTT password kept in gateway/gateway.secret, 0600). */
export async function register(
  api: Api,
  dataDir: string,
  mqttUrl: string,
  say: (m: string) => void,
): Promise<SiteState> {
  const stateFile = join(dataDir, 'site.json');
  const secretFile = join(dataDir, 'gateway', 'gateway.secret');
  if (existsSync(stateFile) && existsSync(secretFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SiteState;
    try {
      await api('GET', `/v1/gateways/${state.gatewayId}`);
      say(`reusing fleet ${state.fleetId} and gateway ${state.gatewayId} (from ${stateFile})`);
      return state;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      say(`gateway ${state.gatewayId} of ${stateFile} is gone from the cloud: registering a new one`);
    }
  }
  const fleet = await api<{ id: string }>('POST', '/v1/fleets', { name: 'demo-site' });
  const created = await api<{ gateway: { id: string }; mqtt: { url: string; password: string } }>(
    'POST',
    '/v1/gateways',
    { fleetId: fleet.id, name: 'site-gateway' },
  );
  writeFileSync(secretFile, `${created.mqtt.password}\n`, { mode: 0o600 });
  chmodSync(secretFile, 0o600);
  const state: SiteState = { fleetId: fleet.id, gatewayId: created.gateway.id };
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  say(`registered fleet ${fleet.id} and gateway ${created.gateway.id} (MQTT ${mqttUrl})`);
  return state;
}

/**
 * Stops the children a previous run left behind (it was killed with SIGKILL, say), by PID, and only
 * when that PID still runs a command line that names this data directory (so a reused PID is spared).
 */
export function stopLeftovers(dataDir: string, say: (m: string) => void): void {
  const file = join(dataDir, 'pids.json');
  if (!existsSync(file)) return;
  let list: { name?: string; pid?: number }[] = [];
  try {
    list = JSON.parse(readFileSync(file, 'utf8')) as typeof list;
  } catch {
    return;
  }
  for (const { name, pid } of list) {
    if (typeof pid !== 'number') continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // gone (or no /proc)
    }
    if (!cmdline.includes(dataDir)) continue;
    say(`stopping ${name ?? 'a child'} (pid ${pid}) left over from an earlier run`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
