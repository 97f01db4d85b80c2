import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage, randomMessageId } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningCloud, startCloud } from '../../server/index.js';
import { encode, hello } from '../testing.js';
import { type Exit, mosquittoMissing, Processes } from './process.js';
import { type GatewayCreds, registerGateways, until } from './testing.js';

// Issue 6 acceptance: "a gateway credential cannot publish or subscribe outside its subtree (tested with a
// real MQTT client)". The embedded aedes broker (PROTOCOL.md §2.2) against Debian's mosquitto_pub/sub.
const missing = mosquittoMissing();
if (missing) console.warn(`skipping mosquitto_pub/sub ACL tests: ${missing}`);

let dir: string;
let procs: Processes;
let cloud: RunningCloud;
let a: GatewayCreds;
let b: GatewayCreds;
let host: string;
let port: string;
let serviceSecret: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-mosq-cli-'));
  procs = new Processes();
  cloud = await startCloud({ dataDir: join(dir, 'data'), httpPort: 0, mqtt: { port: 0, wsPort: null } });
  const gws = await registerGateways(cloud, 2);
  if (!gws[0] || !gws[1]) throw new Error('no gateways');
  [a, b] = [gws[0], gws[1]];
  const url = new URL(cloud.mqttUrl);
  host = url.hostname;
  port = url.port;
  serviceSecret = readFileSync(join(dir, 'data', 'service.secret'), 'utf8').trim();
});
afterEach(async () => {
  await procs.killAll();
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Connection flags of a gateway (PROTOCOL.md §2.2: user name = id, client id = `gw-{id}`). */
const as = (g: GatewayCreds, password = g.password) => ['-u', g.username, '-P', password, '-i', g.clientId];
/** The service, with its own client id per process, so that one does not take over another's session. */
const asService = (instance: string) => ['-u', '$service', '-P', serviceSecret, '-i', `svc-${instance}`];
const up = (g: GatewayCreds, dev: string, kind: string) => `tf/v1/gw/${g.id}/dev/${dev}/up/${kind}`;
const down = (g: GatewayCreds) => `tf/v1/gw/${g.id}/down/cmd`;

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const command = () =>
  encodeMessage({
    type: 'GW_COMMAND',
    id: randomMessageId(),
    ts: Date.now(),
    commandId: 'probe',
    command: 'train.stop',
    targets: [],
    args: {},
  });

/** mosquitto_pub, bounded to 5 s. */
function pub(who: string[], topic: string, payloadFile: string, extra: string[] = []): Promise<Exit> {
  const args = ['-h', host, '-p', port, ...who, '-t', topic, '-q', '1', '-f', payloadFile, ...extra];
  return procs.spawn('mosquitto_pub', args, 5000).exited;
}

/**
 * mosquitto_sub printing topics only (`-F %t`), debug on (`-d`, to see the SUBACK codes), stopping after
 * `count` messages (`-C`) or 3 s without one (`-W`). Resolves once the SUBACK has arrived.
 */
async function sub(who: string[], filters: string[], count = 1) {
  const args = ['-h', host, '-p', port, ...who, '-q', '1', '-d', '-F', '%t', '-C', String(count), '-W', '3'];
  const child = procs.spawn('mosquitto_sub', [...args, ...filters.flatMap((f) => ['-t', f])], 6000);
  await child.waitFor(/Subscribed \(mid: \d+\)|Connection error|Connection Refused/);
  return child;
}

/** Topics a mosquitto_sub printed (its `-F %t` lines; debug lines start with "Client "). */
const topicsOf = (e: Exit) =>
  e.stdout.split('\n').filter((l) => l.startsWith('tf/') || l.startsWith('$') || l.startsWith('#'));

describe.skipIf(missing !== undefined)('gateway ACL with mosquitto_pub/sub on the embedded broker', () => {
  it('lets a gateway publish its status and device uplinks under its own subtree', async () => {
    const status = encode({
      type: 'GW_STATUS',
      id: randomMessageId(),
      ts: Date.now(),
      since: Date.now(),
      online: true,
      gatewayVersion: '0.1.0',
      uptimeMs: 1,
      outbox: 0,
      devices: [],
    });
    const h = file('hello.cbor', encode(hello('d1')));
    const r1 = await pub(as(a), `tf/v1/gw/${a.id}/status`, file('status.cbor', status), ['-r']);
    const r2 = await pub(as(a), up(a, 'd1', 'hello'), h);
    expect([r1.code, r2.code], r1.stderr + r2.stderr).toEqual([0, 0]);
    await until(() => cloud.store.devices.get('d1') !== undefined, 'the HELLO');
    expect(cloud.store.devices.get('d1')?.gatewayId).toBe(a.id);
    expect(cloud.store.gateways.get(a.id)?.online).toBe(true);
  });

  it("refuses a publish into another gateway's subtree: the connection closes and nobody gets it", async () => {
    const watcher = await sub(asService('watch'), [`tf/v1/gw/${b.id}/#`]);
    const refused = await pub(as(a), up(b, 'dx', 'hello'), file('hello.cbor', encode(hello('dx'))));
    // aedes closes the connection (PROTOCOL.md §2.2 item 1): mosquitto_pub never gets its PUBACK.
    expect(refused.code, refused.stdout + refused.stderr).not.toBe(0);
    // The first message the watcher sees is the service's marker, published after the refused one.
    const marker = await pub(asService('send'), down(b), file('cmd.cbor', command()));
    expect(marker.code).toBe(0);
    const seen = await watcher.exited;
    expect(topicsOf(seen), seen.stdout + seen.stderr).toEqual([down(b)]);
    expect(cloud.store.devices.get('dx')).toBeUndefined();
    const events = cloud.store.events.list({ kind: 'mqtt.publish_refused', limit: 10 }).items;
    expect(events.map((e) => [e.gatewayId, (e.data as { topic: string }).topic])).toEqual([
      [a.id, up(b, 'dx', 'hello')],
    ]);
  });

  it("refuses subscriptions outside the gateway's downlink with SUBACK 0x80", async () => {
    for (const filter of [`tf/v1/gw/${b.id}/down/#`, 'tf/v1/gw/+/down/#', '#']) {
      const s = await sub(as(a), [filter]);
      const e = await s.exited;
      expect(e.stdout + e.stderr, filter).toMatch(/Subscribed \(mid: 1\): 128\b/);
      expect(topicsOf(e)).toEqual([]);
    }
    // One SUBSCRIBE with a refused and an allowed filter: only the allowed one delivers (§2.2 item 2).
    const s = await sub(as(a), [`tf/v1/gw/${b.id}/down/#`, `tf/v1/gw/${a.id}/down/#`]);
    expect(s.stdout + s.stderr).toMatch(/Subscribed \(mid: 1\): 128, 1\b/);
    const cmd = file('cmd.cbor', command());
    expect((await pub(asService('send'), down(b), cmd)).code).toBe(0);
    expect((await pub(asService('send'), down(a), cmd)).code).toBe(0);
    const seen = await s.exited;
    expect(topicsOf(seen), seen.stdout + seen.stderr).toEqual([down(a)]);
  });

  it('refuses a wrong password at CONNECT, and a bad API token gets 401', async () => {
    for (const who of [
      as(a, 'wrong'),
      as(b, a.password),
      ['-u', a.username, '-P', a.password, '-i', b.clientId],
    ]) {
      const e = await procs.spawn(
        'mosquitto_sub',
        ['-h', host, '-p', port, ...who, '-t', down(a), '-W', '3'],
        6000,
      ).exited;
      expect(e.code, e.stdout + e.stderr).not.toBe(0);
      expect(e.timedOut).toBe(false);
      expect(e.stderr).toMatch(/Connection Refused|not authori[sz]ed|bad user name or password/i);
    }
    for (const auth of ['Bearer tft_not-a-token', `Bearer ${a.password}`, undefined]) {
      const headers: Record<string, string> = auth ? { authorization: auth } : {};
      const res = await fetch(`${cloud.httpUrl}/v1/gateways`, { headers, signal: AbortSignal.timeout(5000) });
      expect(res.status, auth).toBe(401);
    }
  });
});
