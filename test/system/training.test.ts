/**
 * Training through faults (issue 6, item 4): the cloud (in process), the gateway daemon and three
 * virtual MCUs, as in site.test.ts, the devices booting a small trainable CNN (harness/train.ts: no data
 * set needed; the gateway streams its generated synthetic source). A bounded session on all three
 * devices; mid-session the broker goes away for more than 10 s, and meanwhile the gateway is killed (-9)
 * while it streams samples (every device has reported metrics, none has finished) and restarted: it
 * resumes each stream where the device is (PROTOCOL.md §4.4.8). Afterwards every TRAIN_METRICS and
 * GRAD_UPDATE each device produced is in the cloud store exactly once, by ids and counts, every device
 * trained on the full sample count, and the session is `done`.
 * "Produced" is not read from the store: it follows from the session's limits (steps, me, ge, trained
 * layers, PROTOCOL.md §4.4) and is confirmed by each device's own final TRAIN_STATUS (step, n) as the
 * gateway's outbox held it. Skips, naming the package, without cmake or cc.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@tinyfleet/protocol/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Accepted,
  type CloudSession,
  expectedTraining,
  readLedger,
  readMetrics,
  readOutbox,
  Site,
  storedTraining,
  TINY_TRAINABLE_OPS,
  vmcuToolchainMissing,
  waitFor,
  writeTinyTrainableModel,
} from '../harness/index.js';

const missing = vmcuToolchainMissing();
if (missing) console.warn(`test/system/training.test.ts skipped: ${missing}`);

describe.skipIf(missing !== undefined)(
  `training on a site: cloud + gateway + 3 virtual MCUs${missing ? ` (${missing})` : ''}`,
  () => {
    let dir: string;
    let site: Site | undefined;

    const s = (): Site => {
      if (!site) throw new Error('the site did not start');
      return site;
    };
    const cloudDb = () => join(dir, 'cloud', 'cloud.db');
    const ledger = () => readLedger(cloudDb());
    /** Every entry the gateway's durable outbox holds now (accepted, not yet acknowledged by the cloud). */
    const outbox = (): Accepted[] => readOutbox(join(dir, 'gateway', 'data', 'gateway.db'));

    beforeAll(async () => {
      if (missing) return;
      dir = mkdtempSync(join(tmpdir(), 'tf-train-'));
      const model = writeTinyTrainableModel(join(dir, 'models', 'tiny.tfm'));
      site = await Site.start({
        dataDir: dir,
        vmcuArgs: () => ['--model', model],
        ports: { http: 0, mqtt: 0, ws: null, gatewayStatus: 0 },
        devices: 3,
        heartbeatMs: 1000,
      });
    }, 120_000);

    afterAll(async () => {
      await site?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('trains all three devices through a broker cut and a gateway kill -9 mid-stream: every metric and gradient update they produced is stored exactly once, and the session is done', async () => {
      // A bounded session (PROTOCOL.md §4.4.2): SMAX samples in steps of BS, TRAIN_METRICS every ME-th
      // step, GRAD_UPDATE (one per trained layer) every GE-th step. The gateway streams 200 samples/s per
      // device, so it lasts at least SMAX / 200 s however fast the machine is: both faults land mid-stream.
      const SMAX = 3000;
      const BS = 2;
      const ME = 25;
      const GE = 50;
      const STEPS = SMAX / BS;
      const ids = s().deviceIds;
      await s().waitOnline(30_000);
      const session = await s().startTraining({ src: 'synthetic', smax: SMAX, bs: BS, me: ME, ge: GE });
      const current = () => s().api<CloudSession>('GET', `/v1/sessions/${session.id}`);
      await waitFor(
        'metrics of every device in the cloud',
        async () => {
          const now = await current();
          if (!['starting', 'running'].includes(now.status))
            throw new Error(`session ${now.status}: ${now.error}`);
          const rows = readMetrics(cloudDb(), session.id);
          return now.status === 'running' && ids.every((id) => rows.some((r) => r.device_id === id));
        },
        60_000,
        200,
      );

      // Fault 1: the broker goes away mid-session. The gateway keeps streaming; the devices keep training.
      const cutAt = Date.now();
      await s().stopCloud();
      const atCut = readMetrics(cloudDb(), session.id);
      for (const id of ids)
        expect(Math.max(...atCut.filter((r) => r.device_id === id).map((r) => r.step))).toBeLessThan(STEPS);
      await waitFor(
        'the gateway to lose the cloud',
        async () => (await s().gateway.status()).cloud.state !== 'online',
        10_000,
      );
      const ofSession = (a: Accepted, type: string) =>
        a.type === type && (a.message as { sessionId?: number }).sessionId === session.wireId;
      // Fault 2, mid-stream: once every device has reported metrics during the cut and none has finished,
      // kill -9 the gateway (its sample streams die with it; its outbox holds those reports).
      await waitFor(
        'metrics of every device in the gateway outbox',
        () => {
          const box = outbox();
          return ids.every((id) => box.some((a) => a.deviceId === id && ofSession(a, 'TRAIN_METRICS')));
        },
        60_000,
        100,
      );
      await s().stopGateway('crash');
      const beforeCrash = outbox();
      const done = (box: Accepted[]) =>
        box.filter((a) => ofSession(a, 'TRAIN_STATUS') && (a.message as { state?: string }).state === 'DONE');
      expect(done(beforeCrash), 'no device had finished at the kill').toEqual([]);
      const metricsAt = (id: string) =>
        beforeCrash.filter((a) => a.deviceId === id && ofSession(a, 'TRAIN_METRICS'));
      for (const id of ids) {
        expect(metricsAt(id).length, `metrics of ${id} before the kill`).toBeGreaterThan(0);
        const last = Math.max(...metricsAt(id).map((a) => (a.message as { step: number }).step));
        expect(last, `${id} mid-stream at the kill`).toBeLessThan(STEPS);
      }

      // The restarted gateway finds the sessions in its database and resumes each stream where the
      // device is (PROTOCOL.md §4.4.8); the devices finish while the broker is still away.
      const gw = await s().startGateway();
      const finals = await waitFor(
        'TRAIN_STATUS DONE of every device in the gateway outbox',
        () => {
          const got = new Map<string, Message & { type: 'TRAIN_STATUS' }>();
          for (const a of done(outbox()))
            got.set(a.deviceId ?? '', a.message as Message & { type: 'TRAIN_STATUS' });
          return ids.every((id) => got.has(id)) && got;
        },
        120_000,
        250,
      );
      const resumed = gw.logs.filter((r) => r.msg === 'training session resumed');
      expect(resumed.map((r) => r.device).sort()).toEqual([...ids].sort());
      for (const r of resumed) expect(r.sid).toBe(session.wireId);
      const key = (a: Accepted) => `${a.sender} ${a.msgId}`;
      const after = new Set(outbox().map(key));
      expect(beforeCrash.filter((a) => !after.has(key(a)))).toEqual([]);
      await new Promise((r) => setTimeout(r, Math.max(0, cutAt + 10_000 - Date.now()))); // a cut of >= 10 s

      await s().restartCloud();
      await waitFor(
        'the outbox to drain into the cloud',
        async () => {
          const st = await s().gateway.status();
          return st.cloud.state === 'online' && st.outbox.depth === 0;
        },
        60_000,
        200,
      );
      const ended = await waitFor(
        'the session to end',
        async () => {
          const now = await current();
          return !['created', 'starting', 'running', 'stopping'].includes(now.status) && now;
        },
        30_000,
        200,
      );
      expect(ended).toMatchObject({ status: 'done', error: null });

      // What each device produced (the session's limits; its own final counters) against what was stored.
      const want = expectedTraining({
        steps: STEPS,
        samples: SMAX,
        me: ME,
        ge: GE,
        layers: TINY_TRAINABLE_OPS,
      });
      const rows = ledger();
      for (const id of ids) {
        expect(finals.get(id), id).toMatchObject({ step: STEPS, samplesSeen: SMAX });
        const stored = storedTraining(cloudDb(), rows, {
          sessionId: session.id,
          gatewayId: s().gatewayId,
          deviceId: id,
        });
        expect(stored, id).toEqual(want);
      }
    }, 240_000);
  },
);
