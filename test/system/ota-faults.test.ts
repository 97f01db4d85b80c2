/**
 * OTA with training and power cuts (issue 7): the real cloud (in process), the real gateway daemon and
 * real C virtual MCUs (child processes on ptys), as `npm start` runs them (@tinyfleet/system-tests/harness).
 * The devices boot a small trainable CNN (harness/train.ts) and, as `npm start` does, train on the
 * gateway's synthetic source.
 *
 * 1. A campaign reaches devices in a running training session: they keep training while the update
 *    downloads; at the test boot each device ends its session cleanly (TRAIN_STATUS STOPPED, the reason in
 *    msg: PROTOCOL.md §4.4.5, §4.6.1), the gateway stops streaming to it, the cloud records the session
 *    `stopped` (not failed), and the campaign succeeds: every device runs the new model.
 * 2. Power cut at a random flash operation of the update, on every device: each vmcu is started with
 *    `--power-cut-at-flash-op N` (N drawn per device from a seeded generator, printed; set
 *    TF_OTA_FAULT_SEED to replay), which tears its N-th flash erase or program of the update and ends the
 *    process at once (exit 75). The test restarts it on the same flash file, as power coming back; the
 *    gateway re-offers. The campaign must end, every device running a valid model, the one the ledger
 *    says: the new one where its execution succeeded, the previous one otherwise (a trial cut before its
 *    confirmation reverts, §4.6.1).
 * Skips, naming the package, without cmake or cc.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@tinyfleet/cloud/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CampaignView,
  type CloudSession,
  type ExecutionView,
  executions,
  FINAL_CAMPAIGN,
  FINAL_EXECUTION,
  type ModelRecord,
  mlpArtifact,
  readMetrics,
  Site,
  tinyTrainableArtifact,
  uploadModel,
  vmcuToolchainMissing,
  waitCampaign,
  waitFor,
} from '../harness/index.js';

const missing = vmcuToolchainMissing();
if (missing) console.warn(`test/system/ota-faults.test.ts skipped: ${missing}`);

/** P.OTA_BLOCK_BYTES. */
const BS = 4096;

/**
 * Flash erases and programs of one whole update of `nb` blocks on the vmcu (4 KiB pages, so the slot is
 * erased block by block, tf_ota.c): the offer (record page erase, slot record erase + program, header),
 * per block (page erase, program, mark; the last block's tail one more), the commit (slot record, log
 * entry), the test boot (pending record, boot record, log entry), the confirm (slot record, log entry).
 */
const updateFlashOps = (nb: number) => 4 + 3 * nb + 1 + 3 + 5 + 3;

interface DeviceView {
  id: string;
  online: boolean;
  currentModel: string | null;
}

describe.skipIf(missing !== undefined)(
  `OTA with training and power cuts: cloud + gateway + 2 virtual MCUs${missing ? ` (${missing})` : ''}`,
  () => {
    let dir: string;
    let site: Site | undefined;
    const s = (): Site => {
      if (!site) throw new Error('the site did not start');
      return site;
    };
    const api = () => s().api;
    /** Device -> `--power-cut-at-flash-op` for its next start only. */
    const cuts = new Map<string, number>();
    const cloudDb = () => join(dir, 'cloud', 'cloud.db');

    const upload = async (bytes: Uint8Array): Promise<ModelRecord> => {
      const r = await uploadModel(s().cloud.cloud.httpUrl, s().cloud.adminToken, bytes, '?sign=1');
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
      return r.body;
    };
    const create = (modelId: string) =>
      api()<CampaignView>('POST', '/v1/campaigns', {
        name: `c-${modelId}`,
        modelId,
        target: { fleetId: s().fleetId },
      });
    const devices = async (): Promise<DeviceView[]> =>
      (await api()<{ items: DeviceView[] }>('GET', `/v1/devices?gatewayId=${s().gatewayId}&limit=200`)).items;
    const digestOf = (d: DeviceView | undefined) => d?.currentModel?.split('@')[0] ?? '';
    /** Waits until every device is online on the model `want(id)` says (HELLO msha in the cloud's record). */
    const expectModels = async (want: (id: string) => string) => {
      await waitFor(
        'every device online on the model the ledger says',
        async () => {
          const ds = await devices();
          return s().deviceIds.every((id) => {
            const d = ds.find((x) => x.id === id);
            return d?.online === true && digestOf(d) === want(id);
          });
        },
        30_000,
        200,
      ).catch(async (e: unknown) => {
        const ds = await devices();
        throw new Error(
          `${String(e)}\nwant ${JSON.stringify(s().deviceIds.map((id) => [id, want(id)]))}\nhave ${JSON.stringify(ds.map((d) => [d.id, d.online, d.currentModel]))}`,
        );
      });
    };

    beforeAll(async () => {
      if (missing) return;
      dir = mkdtempSync(join(tmpdir(), 'tf-ota-faults-'));
      const aFile = join(dir, 'model-a.tfm');
      writeFileSync(aFile, tinyTrainableArtifact(1));
      site = await Site.start({
        dataDir: dir,
        ports: { http: 0, mqtt: 0, ws: null, gatewayStatus: 0 },
        devices: 2,
        heartbeatMs: 1000,
        gatewayKeys: (st) => ({ cloudApiUrl: st.cloud.cloud.httpUrl }),
        vmcuArgs: (id) => {
          const n = cuts.get(id);
          cuts.delete(id);
          return [
            '--model',
            aFile,
            '--ram',
            '2M',
            ...(n === undefined ? [] : ['--power-cut-at-flash-op', `${n}`]),
          ];
        },
      });
      await s().waitOnline(30_000);
    }, 120_000);

    afterAll(async () => {
      await site?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('devices in a running training session take an update: each session ends STOPPED (model update), the campaign succeeds', async () => {
      const ids = s().deviceIds;
      const session = await s().startTraining({ src: 'synthetic', smax: 1_000_000, bs: 1, me: 5 });
      const current = () => api()<CloudSession>('GET', `/v1/sessions/${session.id}`);
      const lastStep = (id: string) =>
        Math.max(
          0,
          ...readMetrics(cloudDb(), session.id)
            .filter((r) => r.device_id === id)
            .map((r) => r.step),
        );
      await waitFor(
        'metrics of every device in the cloud',
        async () => {
          const now = await current();
          if (!['starting', 'running'].includes(now.status))
            throw new Error(`session ${now.status}: ${now.error}`);
          return now.status === 'running' && ids.every((id) => lastStep(id) > 0);
        },
        60_000,
        200,
      );
      const model = await upload(tinyTrainableArtifact(2));
      const atCreate = new Map(ids.map((id) => [id, lastStep(id)]));
      const c = await create(model.id);
      const done = await waitCampaign(api, c.id, 90_000);
      const ex = await executions(api(), c.id);
      expect(done.status, JSON.stringify({ done, ex })).toBe('succeeded');
      expect(ex.map((e) => [e.deviceId, e.state]).sort()).toEqual(ids.map((id) => [id, 'succeeded']).sort());
      await expectModels(() => model.sha256);

      // the cloud: the session ended `stopped`, not failed; each device's last report says why
      const ended = await waitFor(
        'the session to end',
        async () => {
          const now = await current();
          return ['stopped', 'done', 'failed', 'partial'].includes(now.status) ? now : undefined;
        },
        20_000,
        200,
      );
      expect([ended.status, ended.error]).toEqual(['stopped', null]);
      const reports = s()
        .cloud.cloud.store.sessions.statusEvents(session.id)
        .map((e) => ({
          deviceId: e.deviceId,
          ...(e.data as { state: string; reason: string | null; step: number }),
        }));
      for (const id of ids) {
        const last = reports.filter((r) => r.deviceId === id).at(-1);
        expect(last?.state, JSON.stringify(reports)).toBe('STOPPED');
        expect(last?.reason ?? '').toMatch(/model update/);
        // it trained on while the campaign was offered and the update downloaded
        expect(last?.step ?? 0, `${id} steps`).toBeGreaterThanOrEqual(atCreate.get(id) ?? 0);
      }
      // the gateway stopped streaming to the devices (no stream of the session, running or failed)
      const gw = await s().gateway.status();
      expect(
        (gw.sessions as { sid?: number }[]).filter((x) => x.sid === session.wireId),
        JSON.stringify(gw.sessions),
      ).toEqual([]);
      console.info(
        `training + OTA: steps at the campaign ${JSON.stringify([...atCreate])}, at the test boot ${JSON.stringify(
          ids.map((id) => [id, reports.filter((r) => r.deviceId === id).at(-1)?.step]),
        )}`,
      );
    }, 150_000);

    it('power cut at a random flash operation of the update, on every device: restarted on its flash file, each runs the model the ledger says', async () => {
      const seed = Number(process.env.TF_OTA_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
      const draw = seededRandom(seed); // mulberry32: a failing draw replays from its seed
      const ids = s().deviceIds;
      const art = mlpArtifact({ seed: 9, modelVersion: 9, input: 64, hidden: [512, 128], name: 'ota-fault' });
      const ops = updateFlashOps(Math.ceil(art.length / BS));
      const picks = new Map(ids.map((id) => [id, 1 + Math.floor(draw() * ops)]));
      console.info(
        `power cut: seed ${seed} (TF_OTA_FAULT_SEED=${seed} replays it); flash operation of ~${ops} per device: ${JSON.stringify([...picks])}`,
      );
      const before = new Map((await devices()).map((d) => [d.id, digestOf(d)]));
      // power comes back: a device whose vmcu ended is started again on its flash file, unarmed
      const cutLines = new Map<string, string>();
      let watching = true;
      const watch = (id: string) => {
        const v = s().vmcus.get(id);
        void v?.child.exited.then(async ({ code }) => {
          if (!watching) return;
          // A device without power has no serial port: its link goes at once, so the gateway's reopen
          // cannot land on the pty number the dead vmcu freed (another process may take it meanwhile).
          rmSync(join(dir, 'dev', id), { force: true });
          cutLines.set(
            id,
            `exit ${code}: ${/power cut at flash operation .*/.exec(v.child.tail(20))?.[0] ?? '?'}`,
          );
          await s().startDevice(id);
        });
      };
      for (const id of ids) {
        await s().stopDevice(id);
        cuts.set(id, picks.get(id) as number);
        await s().startDevice(id);
        watch(id);
      }
      await s().waitOnline(30_000);
      const model = await upload(art);
      let done: CampaignView;
      let ex: ExecutionView[];
      try {
        const c = await create(model.id);
        done = await waitCampaign(api, c.id, 120_000);
        ex = await executions(api(), c.id);
      } finally {
        watching = false;
      }
      console.info(
        `power cut: ${JSON.stringify([...cutLines])}; campaign ${done.status}; executions ${JSON.stringify(ex.map((e) => [e.deviceId, e.state, e.error]))}`,
      );
      const diag = () =>
        ids
          .map(
            (id) =>
              `--- ${id}\n${s().vmcus.get(id)?.child.tail(15) ?? ''}\n${s()
                .gateway.logs.filter((r) => JSON.stringify(r).includes(id))
                .slice(-15)
                .map((r) => JSON.stringify(r))
                .join('\n')}`,
          )
          .join('\n');
      expect(FINAL_CAMPAIGN.has(done.status), done.status).toBe(true);
      expect(ex.map((e) => e.deviceId).sort()).toEqual([...ids].sort());
      for (const e of ex) {
        expect(FINAL_EXECUTION.has(e.state), `${e.deviceId} ${e.state}`).toBe(true);
        // a cut leaves the old model (a trial not confirmed reverts) or the new one, never a failure
        expect(['succeeded', 'reverted'], `${e.deviceId}: ${e.state} ${e.error}\n${diag()}`).toContain(
          e.state,
        );
      }
      // the ledger tells the truth: succeeded <=> the device runs the new model (its HELLO msha)
      const state = new Map(ex.map((e) => [e.deviceId, e.state]));
      await expectModels((id) => (state.get(id) === 'succeeded' ? model.sha256 : (before.get(id) ?? '')));
    }, 180_000);
  },
);
