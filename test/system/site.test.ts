/**
 * A whole site under faults (issue 6, item 4): the cloud (in process, ports 0, a temp data dir), the
 * gateway daemon and three virtual MCUs as child processes, exactly as `npm start` runs them
 * (@tinyfleet/system-tests/harness). Checks registration with three distinct MCU profiles, presence on
 * the SSE stream and the gateway's status endpoint; then kill -9 of the gateway, and a 10 s cut of the
 * broker during which the devices reboot: afterwards every message the gateway's outbox had accepted is
 * in the cloud's ingest ledger exactly once, and applied exactly once. Training through faults:
 * training.test.ts. Skips, naming the package, without cmake or cc.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MsgType } from '@tinyfleet/protocol/constants';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Accepted,
  type LiveStream,
  openStream,
  PROFILES,
  readLedger,
  readOutbox,
  Site,
  vmcuToolchainMissing,
  waitFor,
} from '../harness/index.js';

const missing = vmcuToolchainMissing();
if (missing) console.warn(`test/system/site.test.ts skipped: ${missing}`);

describe.skipIf(missing !== undefined)(
  `a site: cloud + gateway + 3 virtual MCUs${missing ? ` (${missing})` : ''}`,
  () => {
    let dir: string;
    let site: Site | undefined;
    let stream: LiveStream | undefined;

    const s = (): Site => {
      if (!site) throw new Error('the site did not start');
      return site;
    };
    const cloudDb = () => join(dir, 'cloud', 'cloud.db');
    const ledger = () => readLedger(cloudDb());
    const gatewayDb = () => join(dir, 'gateway', 'data', 'gateway.db');
    /** Every entry the gateway's durable outbox holds now (accepted, not yet acknowledged by the cloud). */
    const outbox = (): Accepted[] => readOutbox(gatewayDb());
    /** device.hello events per device: each is one applied HELLO. */
    const helloEvents = (): Map<string, number> => {
      const counts = new Map<string, number>();
      let cursor: string | undefined;
      for (;;) {
        const page = s().cloud.cloud.store.events.list({ limit: 500, cursor, kind: 'device.hello' });
        for (const e of page.items) counts.set(e.deviceId ?? '', (counts.get(e.deviceId ?? '') ?? 0) + 1);
        if (page.nextCursor === null) return counts;
        cursor = page.nextCursor;
      }
    };
    /** Ledger HELLO rows per device. */
    const helloClaims = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const r of ledger()) {
        if (r.msg_type !== MsgType.HELLO) continue;
        const dev = r.sender.slice(r.sender.indexOf('/') + 1);
        counts.set(dev, (counts.get(dev) ?? 0) + 1);
      }
      return counts;
    };
    const expectNoDuplicates = async () => {
      const devices = await s().devices();
      expect(devices.map((d) => d.id).sort()).toEqual([...s().deviceIds].sort());
      const rows = ledger();
      expect(new Set(rows.map((r) => `${r.sender} ${r.msg_id}`)).size).toBe(rows.length);
      // Each HELLO the ledger accepted was applied once, and nothing else was applied as a HELLO.
      expect(helloEvents()).toEqual(helloClaims());
    };

    beforeAll(async () => {
      if (missing) return;
      dir = mkdtempSync(join(tmpdir(), 'tf-site-'));
      site = await Site.start({
        dataDir: dir,
        ports: { http: 0, mqtt: 0, ws: null, gatewayStatus: 0 },
        devices: 3,
        heartbeatMs: 1000,
        onCloud: async (cloud) => {
          // the same URL across cloud restarts: they take the same ports
          stream = openStream({ url: () => cloud.cloud.httpUrl, token: cloud.adminToken });
          // the stream is subscribed before any device can come online
          await waitFor('the SSE stream', () => (stream?.connects ?? 0) > 0, 5000, 20);
        },
      });
    }, 120_000);

    afterAll(async () => {
      stream?.close();
      await site?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('registers three devices with their distinct MCU profiles; presence on SSE; the gateway lists them', async () => {
      const devices = await s().waitOnline(30_000);
      expect(devices).toHaveLength(3);
      for (const d of devices) {
        const v = s().vmcus.get(d.id);
        expect(v).toBeDefined();
        expect(d.capabilities).toMatchObject({
          core: v?.profile.core,
          clockHz: v?.profile.clockHz,
          ramBytes: v?.profile.ramBytes,
          flashBytes: v?.profile.flashBytes,
          training: true,
        });
      }
      expect(new Set(devices.map((d) => d.capabilities.core))).toEqual(new Set(PROFILES.map((p) => p.core)));

      await waitFor(
        'presence online of every device on the SSE stream',
        () =>
          s().deviceIds.every((id) =>
            stream?.events.some(
              (e) =>
                e.event === 'presence' && (e.data as { deviceId?: string; online?: boolean }).deviceId === id,
            ),
          ),
        10_000,
      );
      for (const id of s().deviceIds) {
        const presence = stream?.events.filter(
          (e) => e.event === 'presence' && (e.data as { deviceId?: string }).deviceId === id,
        );
        expect(presence?.some((e) => (e.data as { online: boolean }).online)).toBe(true);
      }

      const status = await waitFor(
        'the gateway status to list three linked devices',
        async () => {
          const st = await s().gateway.status();
          return st.devices.filter((d) => d.linked).length === 3 && st;
        },
        10_000,
      );
      expect(status.healthy).toBe(true);
      expect(status.gatewayId).toBe(s().gatewayId);
      expect(status.devices.map((d) => [d.deviceId, d.core]).sort()).toEqual(
        [...s().vmcus.values()].map((v) => [v.deviceId, v.profile.core]).sort(),
      );
      // Heartbeats flow: the cloud sees every device again and again.
      const seen = new Map(devices.map((d) => [d.id, d.lastSeenMs ?? 0]));
      await waitFor(
        'a heartbeat of every device to reach the cloud',
        async () => (await s().devices()).every((d) => (d.lastSeenMs ?? 0) > (seen.get(d.id) ?? 0)),
        10_000,
        200,
      );
      await expectNoDuplicates();
    });

    it('survives kill -9 of the gateway: devices re-register, nothing duplicated', async () => {
      const before = helloEvents();
      const ledgerBefore = ledger().length;
      await s().stopGateway('crash');
      // The broker publishes the gateway's last will: the gateway and its devices go offline.
      await waitFor(
        'the devices to be listed offline',
        async () => (await s().devices()).every((d) => !d.online),
        15_000,
        200,
      );
      await s().startGateway();
      await s().waitOnline(30_000);
      // A new link session per device: a new HELLO each, with a new message id.
      await waitFor(
        'a new HELLO from every device',
        () => s().deviceIds.every((id) => (helloEvents().get(id) ?? 0) > (before.get(id) ?? 0)),
        15_000,
        200,
      );
      expect(ledger().length).toBeGreaterThan(ledgerBefore);
      await expectNoDuplicates();
    });

    it('cuts the broker for 10 s while the devices reboot and the gateway crashes: every message the outbox accepted arrives exactly once', async () => {
      const cutAt = Date.now();
      await s().stopCloud();
      await waitFor(
        'the gateway to lose the cloud',
        async () => (await s().gateway.status()).cloud.state !== 'online',
        10_000,
      );
      const boots = new Map((await s().gateway.status()).devices.map((d) => [d.deviceId, d.boot]));

      // Device messages while the cloud is away: each virtual MCU reboots and sends a new HELLO.
      for (const id of s().deviceIds) {
        await s().stopDevice(id);
        await s().startDevice(id);
      }
      await waitFor(
        'every device to re-register with the gateway after its reboot',
        async () =>
          (await s().gateway.status()).devices.every(
            (d) => d.linked && d.boot > (boots.get(d.deviceId) ?? 0),
          ),
        20_000,
        200,
      );
      const beforeCrash = outbox();
      const hellos = beforeCrash.filter((a) => a.type === 'HELLO');
      expect(new Set(hellos.map((a) => a.sender.split('/')[1]))).toEqual(new Set(s().deviceIds));

      // Still offline, the gateway crashes too: what its outbox accepted must survive, and the new
      // link sessions add a HELLO per device.
      await s().stopGateway('crash');
      await s().startGateway();
      await waitFor(
        'the restarted gateway to link every device',
        async () => (await s().gateway.status()).devices.filter((d) => d.linked).length === 3,
        20_000,
        200,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, cutAt + 10_000 - Date.now())));
      const accepted = outbox();
      const key = (a: Accepted) => `${a.sender} ${a.msgId}`;
      const after = new Set(accepted.map(key));
      expect(beforeCrash.filter((a) => !after.has(key(a)))).toEqual([]);
      expect(accepted.filter((a) => a.type === 'HELLO').length).toBeGreaterThanOrEqual(
        2 * s().deviceIds.length,
      );
      expect(s().gateway.child.running).toBe(true);

      await s().restartCloud();
      await waitFor(
        'the outbox to drain into the cloud',
        async () => {
          const st = await s().gateway.status();
          return st.cloud.state === 'online' && st.outbox.depth === 0;
        },
        30_000,
        200,
      );
      await s().waitOnline(30_000);

      const rows = ledger();
      const have = new Map(rows.map((r) => [`${r.sender} ${r.msg_id}`, r]));
      for (const a of accepted) {
        expect(have.get(`${a.sender} ${a.msgId}`), `${a.type} ${a.msgId} from ${a.sender}`).toMatchObject({
          msg_type: MsgType[a.type as keyof typeof MsgType],
        });
      }
      expect(new Set(accepted.map((a) => `${a.sender} ${a.msgId}`)).size).toBe(accepted.length);
      await expectNoDuplicates();
    });
  },
);
