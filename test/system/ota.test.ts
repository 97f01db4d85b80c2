/**
 * OTA under faults (issue 7, item 4): the real cloud (in process), the real gateway daemon and real C
 * virtual MCUs (child processes on ptys), as `npm start` runs them (@tinyfleet/system-tests/harness).
 * Every device boots model A (`--model`); campaigns then move the fleet through signed MLP artifacts
 * (PTQ, 100 KB or 300 KB, 25 or 75 blocks of 4 KiB) while the gateway is killed, a device is reset and the cloud
 * restarts mid-transfer; a tampered artifact, an artifact whose key the gateway does not trust, an
 * incompatible device and an artifact that fails its check on the device complete the set. Each case
 * ends with every device running a valid model (its HELLO `msha`, the §5.8 content digest of §4.2.1, in
 * the cloud's device record) and the ledger (GET /v1/campaigns/{id}/executions) agreeing with the
 * devices. A second campaign with a model the devices already run skips them (INSTALLED), also after
 * a reboot, because HELLO and OTA_STATUS name a model by the same digest.
 *
 * Devices: nrf52840-1, stm32h743-1, nrf5340-1 (all report 2 MiB of RAM, so the gate lets through the
 * model whose 590 KB arena only the device's real 512 KiB arena refuses), and nrf52840-2, whose 64 KiB
 * slot is too small for the MLPs (gate: SLOT). Faults strike mid-transfer: the test reads the device's
 * transfer record in its flash file and acts once 8 of 75 blocks are durable. Line noise: a relay
 * through socat flips bits on one link (skipped without socat). Skips, naming the package, without
 * cmake or cc.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawPublicKey, signArtifact } from '@tinyfleet/protocol/artifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  artifactSha,
  type CampaignView,
  durableBlocks,
  type ExecutionView,
  executions,
  FINAL_EXECUTION,
  type ModelRecord,
  mlpArtifact,
  noiseToolMissing,
  REPO_ROOT,
  Site,
  startNoisyLink,
  tooBigArenaArtifact,
  uploadModel,
  vmcuToolchainMissing,
  waitCampaign,
  waitFor,
} from '../harness/index.js';

const CLI = join(REPO_ROOT, 'apps', 'cloud', 'bin', 'tinyfleet.js');

/** Runs the `tinyfleet` CLI as a child process (bounded); resolves with its exit code, stdout and stderr. */
function tinyfleet(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 80_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const missing = vmcuToolchainMissing();
const noiseMissing = noiseToolMissing();
if (missing) console.warn(`test/system/ota.test.ts skipped: ${missing}`);

const SMALL = 'nrf52840-2';
const MAIN = ['nrf52840-1', 'stm32h743-1', 'nrf5340-1'];
const MAIN_SORTED = [...MAIN].sort();
const big = (seed: number, modelVersion: number) =>
  mlpArtifact({ seed, modelVersion, input: 64, hidden: [512, 128], name: 'ota-mlp' });

/** ~300 KB (72 blocks), so that a fault 100 ms into the device transfer lands in its middle. */
const large = (seed: number, modelVersion: number) =>
  mlpArtifact({ seed, modelVersion, input: 64, hidden: [1536, 128], name: 'ota-mlp' });
/** A fault strikes once this many blocks are durable on the device (of 75). */
const INTO_TRANSFER_BLOCKS = 8;

interface DeviceView {
  id: string;
  online: boolean;
  currentModel: string | null;
}

describe.skipIf(missing !== undefined)(
  `OTA on a site: cloud + gateway + 4 virtual MCUs${missing ? ` (${missing})` : ''}`,
  () => {
    let dir: string;
    let site: Site | undefined;
    const s = (): Site => {
      if (!site) throw new Error('the site did not start');
      return site;
    };
    const api = () => s().api;
    /** Serial ports the gateway opens instead of dev/<device> (the noisy relay). */
    const ports = new Map<string, string>();
    const flash = (deviceId: string) => join(dir, 'vmcu', `${deviceId}.flash`);
    /**
     * Device -> the model it must run, by its §5.8 content digest: what HELLO `msha` reports (§4.2.1)
     * and what the cloud records on CONFIRMED.
     */
    const installed = new Map<string, readonly string[]>();
    const shas = (m: ModelRecord) => [m.sha256];
    const models: Record<string, ModelRecord> = {};

    const upload = async (bytes: Uint8Array, query = '?sign=1'): Promise<ModelRecord> => {
      const r = await uploadModel(s().cloud.cloud.httpUrl, s().cloud.adminToken, bytes, query);
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
      return r.body;
    };
    const devices = async (): Promise<DeviceView[]> =>
      (await api()<{ items: DeviceView[] }>('GET', `/v1/devices?gatewayId=${s().gatewayId}&limit=200`)).items;
    const create = (modelId: string, body: Record<string, unknown> = {}) =>
      api()<CampaignView>('POST', '/v1/campaigns', {
        name: `c-${modelId}`,
        modelId,
        target: { fleetId: s().fleetId },
        ...body,
      });
    /**
     * Records every `have` (blocks the device holds, from its RECEIVING reports) the cloud stores while
     * executions of `id` are downloading. A device reports a partial bitmap (0 < have < nb) only when it
     * is offered a transfer it had started before: the evidence of a resume.
     */
    const trackProgress = (id: string) => {
      const partial = new Map<string, number>();
      let on = true;
      void (async () => {
        while (on) {
          try {
            for (const e of s().cloud.cloud.store.executions.list({ campaignId: id, limit: 100 }).items) {
              const have = Number(e.progress?.have ?? 0);
              const nb = Number(e.progress?.nb ?? 0);
              if (e.state === 'downloading' && have > 0 && have < nb) partial.set(e.deviceId, have);
            }
          } catch {
            // the cloud is restarting
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      return {
        partial,
        stop: () => {
          on = false;
        },
      };
    };
    /** Every device runs the model the test expects (HELLO msha in the cloud's record), all online. */
    const expectFleet = async () => {
      const want = [...installed.entries()].sort();
      const got = await waitFor(
        `the cloud to list every device online on its expected model`,
        async () => {
          const ds = await devices();
          const ok = want.every(([id, accepted]) => {
            const d = ds.find((x) => x.id === id);
            return d?.online === true && accepted.includes(d.currentModel?.split('@')[0] ?? '');
          });
          return ok ? want : undefined;
        },
        20_000,
        200,
      ).catch(async (e: unknown) => {
        const ds = await devices();
        throw new Error(
          `${String(e)}\nwant ${JSON.stringify(want)}\nhave ${JSON.stringify(ds.map((d) => [d.id, d.online, d.currentModel]))}`,
        );
      });
      expect(got).toEqual(want);
    };
    /** The ledger agrees with the devices: each succeeded execution's device runs the model, and vice versa. */
    const expectLedger = (ex: ExecutionView[], sha: string) => {
      for (const e of ex) {
        expect(FINAL_EXECUTION.has(e.state), `${e.deviceId} ${e.state}`).toBe(true);
        if (e.state === 'succeeded') expect(installed.get(e.deviceId)).toContain(sha);
        else expect(installed.get(e.deviceId)).not.toContain(sha);
      }
    };
    /** Runs a campaign with `fault` applied while it is in flight; expects it to succeed on MAIN. */
    const rollout = async (
      model: ModelRecord,
      fault: (campaignId: string) => Promise<void>,
    ): Promise<ExecutionView[]> => {
      const c = await create(model.id, { phases: [{ count: 1 }, { percent: 100 }] });
      expect(c.excluded).toEqual([expect.objectContaining({ deviceId: SMALL, code: 'SLOT' })]);
      await fault(c.id);
      const done = await waitCampaign(api, c.id, 60_000);
      const ex = await executions(api(), c.id);
      expect(done.status, JSON.stringify({ done, ex })).toBe('succeeded');
      expect(ex.map((e) => [e.deviceId, e.state]).sort()).toEqual(MAIN.map((d) => [d, 'succeeded']).sort());
      for (const d of MAIN) installed.set(d, shas(model));
      expectLedger(ex, model.sha256);
      await expectFleet();
      return ex;
    };

    beforeAll(async () => {
      if (missing) return;
      dir = mkdtempSync(join(tmpdir(), 'tf-ota-site-'));
      const a = mlpArtifact({ seed: 1, modelVersion: 1, input: 64, hidden: [64], name: 'ota-mlp' });
      const aFile = join(dir, 'model-a.tfm');
      writeFileSync(aFile, a);
      site = await Site.start({
        dataDir: dir,
        ports: { http: 0, mqtt: 0, ws: null, gatewayStatus: 0 },
        devices: 4,
        heartbeatMs: 1000,
        portFor: (id) => ports.get(id),
        gatewayKeys: (st) => ({ cloudApiUrl: st.cloud.cloud.httpUrl }),
        vmcuArgs: (id) =>
          id === SMALL ? ['--model', aFile, '--slot-size', '64K'] : ['--model', aFile, '--ram', '2M'],
      });
      await s().waitOnline(30_000);
      for (const id of [...MAIN, SMALL]) installed.set(id, [artifactSha(a)]);
    }, 120_000);

    afterAll(async () => {
      await site?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('starts every device on model A (installed by --model, reported in HELLO)', async () => {
      await expectFleet();
    });

    it('refuses a tampered or unsigned artifact at upload (422)', async () => {
      const b = big(2, 2);
      const tampered = b.slice();
      tampered[b.length - 10] = ((tampered[b.length - 10] ?? 0) ^ 0x40) & 0xff;
      const t = await uploadModel(s().cloud.cloud.httpUrl, s().cloud.adminToken, tampered);
      expect(t.status).toBe(422);
      expect(t.body.error?.code).toBe('SHA_MISMATCH');
      const u = await uploadModel(s().cloud.cloud.httpUrl, s().cloud.adminToken, b, '');
      expect(u.status).toBe(422);
      expect(u.body.error?.code).toBe('BAD_SIGNATURE');
      // a signed file with one flipped byte: its signature no longer verifies
      const signed = await upload(b);
      models.b = signed;
      const file = new Uint8Array(
        await (
          await fetch(`${s().cloud.cloud.httpUrl}/v1/models/${signed.id}/artifact`, {
            headers: { authorization: `Bearer ${s().cloud.adminToken}` },
          })
        ).arrayBuffer(),
      );
      const forged = file.slice();
      forged[200] = ((forged[200] ?? 0) ^ 1) & 0xff;
      const f = await uploadModel(s().cloud.cloud.httpUrl, s().cloud.adminToken, forged, '');
      expect(f.status).toBe(422);
      expect(['SHA_MISMATCH', 'BAD_SIGNATURE']).toContain(f.body.error?.code);
    });

    it('dry run: the small-slot device is excluded by the gate with its reason', async () => {
      const model = models.b ?? (await upload(big(2, 2)));
      const plan = await api()<{
        eligible: number;
        excluded: { deviceId: string; code: string; reason: string }[];
        phases: { devices: { deviceId: string }[] }[];
      }>('POST', '/v1/campaigns/preview', {
        name: 'preview',
        modelId: model.id,
        target: { fleetId: s().fleetId },
        phases: [{ count: 1 }, { percent: 100 }],
      });
      expect(plan.eligible).toBe(3);
      expect(plan.excluded).toEqual([expect.objectContaining({ deviceId: SMALL, code: 'SLOT' })]);
      expect(plan.excluded[0]?.reason).toMatch(/slot/i);
      expect(plan.phases.map((p) => p.devices.map((d) => d.deviceId))).toHaveLength(2);
      expect(plan.phases.flatMap((p) => p.devices.map((d) => d.deviceId)).sort()).toEqual([...MAIN].sort());
    });

    it('happy path: 3 devices in 2 phases, every execution succeeds; a rebooted device reports B in HELLO', async () => {
      const model = models.b ?? (await upload(big(2, 2)));
      const ex = await rollout(model, async () => {});
      expect(new Set(ex.map((e) => e.phase))).toEqual(new Set([0, 1]));
      // after a reboot the device's HELLO names the model it runs by its §5.8 digest (§4.2.1)
      const beforeReboot = (await devices()).find((d) => d.id === 'stm32h743-1')?.currentModel;
      await s().stopDevice('stm32h743-1');
      await s().startDevice('stm32h743-1');
      await waitFor(
        'the HELLO of the rebooted device',
        async () => (await devices()).find((d) => d.id === 'stm32h743-1' && d.online && d.currentModel),
        20_000,
        200,
      );
      expect(beforeReboot).toBe(`${model.sha256}@2`);
      await expectFleet();
    }, 60_000);

    it('a second campaign with the model the devices run skips them (INSTALLED), rebooted or not', async () => {
      const model = models.b ?? (await upload(big(2, 2)));
      // stm32h743-1 rebooted after its update: the cloud knows its model from that HELLO alone
      const plan = await api()<{ eligible: number; excluded: { deviceId: string; code: string }[] }>(
        'POST',
        '/v1/campaigns/preview',
        { name: 'again', modelId: model.id, target: { fleetId: s().fleetId } },
      );
      expect(plan.excluded.map((e) => [e.deviceId, e.code]).sort()).toEqual(
        [...MAIN.map((d) => [d, 'INSTALLED']), [SMALL, 'SLOT']].sort(),
      );
      expect(plan.eligible).toBe(0);
      await expect(create(model.id)).rejects.toMatchObject({ status: 409 });
    }, 30_000);

    it('gateway kill -9 mid-transfer, restarted: the transfer resumes, all succeed', async () => {
      const model = await upload(large(3, 3));
      let tracker: ReturnType<typeof trackProgress> | undefined;
      await rollout(model, async (id) => {
        tracker = trackProgress(id);
        // phase 0 is the first device in id order
        await durableBlocks(flash(MAIN_SORTED[0] as string), model.sha256, INTO_TRANSFER_BLOCKS);
        await s().stopGateway('crash');
        await s().startGateway();
      });
      tracker?.stop();
      // the device that was receiving when the gateway died was re-offered and answered with a
      // partial bitmap: the new gateway sent only the missing blocks
      expect([...(tracker?.partial.keys() ?? [])].length).toBeGreaterThan(0);
      console.info(
        `gateway kill: partial bitmaps re-offered ${JSON.stringify([...(tracker?.partial ?? [])])}`,
      );
    }, 90_000);

    it('device reset (kill -9, restart on its flash file) mid-transfer: it resumes from its bitmap', async () => {
      const model = await upload(large(4, 4));
      const target = 'stm32h743-1';
      let restarted: Awaited<ReturnType<Site['startDevice']>> | undefined;
      await rollout(model, async (id) => {
        expect(id).toBeTruthy();
        await durableBlocks(flash(target), model.sha256, INTO_TRANSFER_BLOCKS);
        await s().vmcus.get(target)?.child.kill();
        restarted = await s().startDevice(target);
      });
      // at boot the vmcu logs its transfer record: the blocks written before the power cut survived
      const boot = /ota: state (\d+), blocks (\d+)\/(\d+)/.exec(restarted?.child.tail(50) ?? '');
      expect(boot, restarted?.child.tail(50)).not.toBeNull();
      expect(Number(boot?.[2])).toBeGreaterThan(0);
      expect(Number(boot?.[2])).toBeLessThan(Number(boot?.[3]));
      console.info(`device reset: ${boot?.[0]} at boot`);
    }, 90_000);

    it('cloud restart mid-rollout: the campaign continues', async () => {
      const model = await upload(large(5, 5));
      await rollout(model, async (id) => {
        expect(id).toBeTruthy();
        // phase 0 is transferring; phase 1 has not started: the cloud goes away for a second
        await durableBlocks(flash(MAIN_SORTED[0] as string), model.sha256, INTO_TRANSFER_BLOCKS);
        await s().stopCloud();
        await new Promise((r) => setTimeout(r, 1000));
        await s().restartCloud();
      });
    }, 90_000);

    it('an artifact that fails on the device: failures abort the rollout, the rest is canceled, devices keep their model', async () => {
      const model = await upload(tooBigArenaArtifact());
      const c = await create(model.id, {
        phases: [{ count: 1 }, { percent: 100 }],
        abort: { minExecuted: 1, failureCount: 1 },
      });
      const done = await waitCampaign(api, c.id, 60_000);
      const ex = await executions(api(), c.id);
      expect(done.status, JSON.stringify({ done, ex })).toBe('aborted');
      const failed = ex.filter((e) => ['failed', 'reverted'].includes(e.state));
      expect(failed).toHaveLength(1);
      expect(failed[0]?.error).toBeTruthy();
      expect(ex.filter((e) => e.state === 'canceled')).toHaveLength(2);
      expectLedger(ex, model.sha256);
      await expectFleet();
      // the device that failed still boots its previous model: its HELLO after a reboot says so
      const victim = failed[0]?.deviceId ?? '';
      const before = installed.get(victim) ?? [];
      await s().stopDevice(victim);
      await s().startDevice(victim);
      const hello = await waitFor(
        `the HELLO of ${victim} after its reboot`,
        async () => {
          const d = (await devices()).find((x) => x.id === victim);
          return d?.online && d.currentModel?.split('@')[0] === before[0] ? d : undefined;
        },
        20_000,
        200,
      );
      expect(hello.currentModel?.split('@')[0]).toBe(before[0]);
    }, 60_000);

    it('an artifact signed by a key the gateway does not trust never reaches a device', async () => {
      // An outside signer's key is imported, an artifact signed by it is uploaded (the cloud accepts
      // it), then the key is retired: the cloud's GET /v1/keys no longer lists it, so the gateway
      // (keys from the cloud) cannot verify the file it fetched and must not send a byte to a device.
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const imported = await api()<{ id: string }>('POST', '/v1/keys', {
        publicKey: Buffer.from(rawPublicKey(publicKey)).toString('hex'),
        name: 'outside signer',
      });
      const model = await upload(signArtifact(big(6, 6), privateKey), '');
      expect(model.keyId).toBe(imported.id);
      await api()('POST', `/v1/keys/${imported.id}/retire`, {});
      let c: CampaignView;
      try {
        c = await create(model.id, { phases: [{ percent: 100 }] });
      } catch (e) {
        // refusing the campaign outright is also correct: nothing was offered
        expect(e).toBeInstanceOf(ApiError);
        expect((e as ApiError).status).toBeGreaterThanOrEqual(400);
        await expectFleet();
        return;
      }
      const done = await waitCampaign(api, c.id, 60_000, (x) =>
        s()
          .cloud.cloud.store.executions.list({ campaignId: x.id, limit: 100 })
          .items.every((e) => FINAL_EXECUTION.has(e.state)),
      );
      const ex = await executions(api(), c.id);
      expect(
        ex.map((e) => [e.deviceId, e.state, e.error?.split(':')[0]]).sort(),
        JSON.stringify(done),
      ).toEqual(MAIN.map((d) => [d, 'failed', 'BAD_SIGNATURE']).sort());
      for (const e of ex) {
        const h = await api()<ExecutionView>('GET', `/v1/campaigns/${c.id}/executions/${e.deviceId}`);
        // no device ever reported RECEIVING for it: not one block reached a device
        expect(h.history?.some((t) => t.accepted && t.to === 'downloading')).toBe(false);
      }
      expectLedger(ex, model.sha256);
      await expectFleet();
    }, 60_000);

    it('the tinyfleet CLI rolls a model out and watches it live (upload --sign, create --phases --watch)', async () => {
      // the walkthrough of README "Roll out a model", against this site's data directory (--site)
      const file = join(dir, 'cli-model.tfm');
      writeFileSync(file, big(9, 9));
      const up = await tinyfleet(['ota', 'upload', file, '--sign', '--site', dir, '--json']);
      expect(up.code, `${up.out}${up.err}`).toBe(0);
      const model = JSON.parse(up.out.trim().split('\n').at(-1) ?? '{}') as ModelRecord;
      expect(model.version).toBe(9);
      const watched = await tinyfleet([
        ...['ota', 'create', '--model', model.id, '--phases', '1,100%'],
        ...['--site', dir, '--watch', '--json'],
      ]);
      expect(watched.code, `${watched.out}${watched.err}`).toBe(0);
      const lines = watched.out.trim().split('\n');
      const id = /created campaign (\S+)/.exec(watched.out)?.[1] ?? '';
      expect(id).toMatch(/^cmp_/);
      // per-device state changes, in order, ending in succeeded; SMALL is excluded by the gate
      for (const d of MAIN) {
        const mine = lines.filter((l) => new RegExp(`\\s${d}\\s+\\S+ -> `).test(l));
        expect(mine.length, watched.out).toBeGreaterThan(1);
        expect(mine.at(-1), watched.out).toMatch(/-> succeeded/);
      }
      expect(watched.out).toMatch(new RegExp(`${SMALL}\\s+excluded: SLOT`));
      // phase progress: phase 1 (one device) completes, then phase 2 starts and completes
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      expect(at(/phase 1\/2: 1\/1 succeeded/), watched.out).toBeGreaterThanOrEqual(0);
      expect(at(/campaign: phase 2\/2 starts/)).toBeGreaterThan(at(/phase 1\/2: 1\/1 succeeded/));
      expect(at(/phase 2\/2: 2\/2 succeeded/)).toBeGreaterThan(at(/campaign: phase 2\/2 starts/));
      expect(at(new RegExp(`campaign ${id} succeeded`))).toBeGreaterThan(at(/phase 2\/2: 2\/2 succeeded/));
      // --json: the last line is the final campaign
      const last = JSON.parse(lines.at(-1) ?? '{}') as CampaignView;
      expect([last.id, last.status, last.counts?.succeeded]).toEqual([id, 'succeeded', 3]);
      for (const d of MAIN) installed.set(d, [model.sha256]);
      await expectFleet();
      // watching a campaign that has ended prints its summary and exits with its outcome
      const again = await tinyfleet(['ota', 'watch', id, '--site', dir]);
      expect(again.code, `${again.out}${again.err}`).toBe(0);
      expect(again.out).toMatch(new RegExp(`campaign ${id} succeeded .*: 3 succeeded`));
    }, 90_000);

    it.skipIf(noiseMissing !== undefined)(
      `line noise on one serial link: the transfer completes through corrupted bytes${noiseMissing ? ` (${noiseMissing})` : ''}`,
      async () => {
        const target = 'nrf5340-1';
        const v = s().vmcus.get(target);
        if (!v) throw new Error(`no ${target}`);
        // about one corrupted byte per 8 KiB, both ways: ~40 hits over a 300 KB transfer
        const noisy = await startNoisyLink({
          devicePty: v.ptyPath,
          linkPath: join(dir, 'dev', `${target}.noisy`),
          everyBytes: 8192,
          seed: 7,
        });
        try {
          ports.set(target, noisy.path);
          await s().stopGateway('clean');
          await s().startGateway();
          await s().waitOnline(30_000);
          const model = await upload(large(7, 7));
          const c = await create(model.id, { target: { deviceIds: [target] } });
          const done = await waitCampaign(api, c.id, 60_000);
          const ex = await executions(api(), c.id);
          expect(done.status, JSON.stringify({ done, ex })).toBe('succeeded');
          expect(ex.map((e) => [e.deviceId, e.state])).toEqual([[target, 'succeeded']]);
          expect(noisy.flipped.toDevice, JSON.stringify(noisy.flipped)).toBeGreaterThan(0);
          installed.set(target, shas(model));
          expectLedger(ex, model.sha256);
          await expectFleet();
          console.info(`line noise: corrupted bytes ${JSON.stringify(noisy.flipped)}`);
        } finally {
          ports.delete(target);
          await s().stopGateway('clean');
          await noisy.close();
          await s().startGateway();
        }
      },
      90_000,
    );
  },
);
