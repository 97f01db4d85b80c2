/**
 * bench:ota — one signed ~256 KiB model artifact to N virtual MCUs behind G gateways (issue 7, item 5).
 *
 * The fleet is real: the cloud in process (embedded broker, SQLite), G gateway daemons and N C virtual
 * MCUs (`tinyfleet-vmcu`, child processes on ptys), started with the site harness
 * (@tinyfleet/system-tests/harness). Devices are spread evenly over the gateways; each boots a small
 * model A (`--model`). The artifact is an MLP (256 -> 800 -> 64 -> 10, PTQ, uint8 weights) of about
 * 256 KiB, signed by the cloud on upload; one campaign, one 100% phase, targets the whole fleet.
 *
 * Numbers (progress on stderr, `--json` prints one JSON line):
 * - `seconds`: from POST /v1/campaigns to the campaign's `succeeded` (every device confirmed, after
 *   its flash writes, verification and smoke-test boot).
 * - `cloud_egress_bytes`: the campaign's `egressBytes` (every BLOCK_DATA the cloud sent).
 * - `serial_line_rate_fraction`: the serial links are ptys, which are NOT rate-limited (the vmcu's
 *   `--baud` and the gateway's `baudRate` are only reported; neither throttles), so the line is not
 *   emulated. The figure is computed honestly against 921600 baud (8N1: 92160 bytes/s): the time a
 *   921600-baud line needs for the artifact's bytes, divided by the measured end-to-end time. On a real
 *   line a fraction above 1 is impossible; here it says how far the rest of the path (cloud, MQTT,
 *   gateway, link protocol, flash writes) stays below the line's own time. `device_serial_seconds`
 *   (median, max) is each device's own downloading -> verifying span from its transition history.
 *
 * Flags: --devices N (50) --gateways G (5) --kib K (256) --json. Needs cmake and a C compiler.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildVmcu,
  type CampaignView,
  deviceFor,
  type ExecutionView,
  mlpArtifact,
  type RunningGateway,
  type SiteCloud,
  startGateway,
  startSiteCloud,
  startVmcu,
  uploadModel,
  type Vmcu,
  waitCampaign,
  waitFor,
  writeGatewayConfig,
} from '@tinyfleet/system-tests/harness';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    devices: { type: 'string', default: '50' },
    gateways: { type: 'string', default: '5' },
    kib: { type: 'string', default: '256' },
  },
});
const N = Number(values.devices);
const G = Number(values.gateways);
const KIB = Number(values.kib);
if (!(N >= 1 && N <= 256 && G >= 1 && G <= N && KIB >= 8 && KIB <= 480)) {
  console.error('usage: bench/ota.ts [--devices 1..256] [--gateways 1..devices] [--kib 8..480] [--json]');
  process.exit(2);
}
const BAUD = 921_600;
const LINE_BYTES_PER_S = BAUD / 10; // 8N1
const say = (m: string) => process.stderr.write(`bench:ota ${m}\n`);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-ota-'));
  const vmcus: Vmcu[] = [];
  const gateways: RunningGateway[] = [];
  let cloud: SiteCloud | undefined;
  try {
    say('building the virtual MCU');
    const bin = buildVmcu();
    // The hidden width sets the size: weights 256 x h + h x 64 + 640 bytes.
    const hidden = Math.max(16, Math.round((KIB * 1024 - 640 - 4096) / (256 + 64)));
    const art = mlpArtifact({
      seed: 42,
      modelVersion: 2,
      input: 256,
      hidden: [hidden, 64],
      name: 'bench-ota',
    });
    const a = mlpArtifact({ seed: 1, modelVersion: 1, input: 64, hidden: [32], name: 'bench-ota' });
    const aFile = join(dir, 'a.tfm');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(aFile, a);

    cloud = await startSiteCloud({
      dataDir: join(dir, 'cloud'),
      tokenFile: join(dir, 'admin.token'),
      ports: { http: 0, mqtt: 0, ws: null },
    });
    const c = cloud;
    const fleet = await c.api<{ id: string }>('POST', '/v1/fleets', { name: 'bench-ota' });
    say(`starting ${N} virtual MCUs`);
    for (let i = 0; i < N; i++) {
      const { deviceId, profile } = deviceFor(i);
      vmcus.push(
        await startVmcu({
          bin,
          deviceId,
          profile,
          flashFile: join(dir, 'vmcu', `${deviceId}.flash`),
          linkPath: join(dir, 'dev', deviceId),
          logFile: join(dir, 'logs', `${deviceId}.log`),
          extraArgs: ['--model', aFile, '--ram', '2M', '--baud', String(BAUD), '--quiet'],
        }),
      );
    }
    say(`starting ${G} gateways`);
    for (let g = 0; g < G; g++) {
      const created = await c.api<{ gateway: { id: string }; mqtt: { password: string } }>(
        'POST',
        '/v1/gateways',
        { fleetId: fleet.id, name: `bench-gw-${g}` },
      );
      const gwDir = join(dir, `gw${g}`);
      const configFile = writeGatewayConfig(join(dir, `gw${g}.json`), {
        gatewayId: created.gateway.id,
        mqttUrl: c.cloud.mqttUrl,
        passwordFile: join(dir, `gw${g}.secret`),
        dataDir: join(gwDir, 'data'),
        ports: vmcus.filter((_, i) => i % G === g).map((v) => v.linkPath),
        statusPort: 0,
        source: { name: 'synthetic', type: 'synthetic', shape: [8, 8, 1], classes: 4, size: 64 },
        heartbeatMs: 5000,
        keys: { cloudApiUrl: c.cloud.httpUrl },
        baudRate: BAUD,
      });
      writeFileSync(join(dir, `gw${g}.secret`), `${created.mqtt.password}\n`, { mode: 0o600 });
      gateways.push(await startGateway({ configFile, logFile: join(dir, 'logs', `gw${g}.log`) }));
    }
    await waitFor(
      `the cloud to list ${N} devices online`,
      async () => {
        const page = await c.api<{ items: { online: boolean }[] }>('GET', '/v1/devices?limit=500');
        return page.items.filter((d) => d.online).length >= N;
      },
      60_000 + N * 1000,
      250,
    );

    const up = await uploadModel(c.cloud.httpUrl, c.adminToken, art);
    if (up.status !== 201 && up.status !== 200)
      throw new Error(`upload: ${up.status} ${JSON.stringify(up.body)}`);
    say(`artifact ${up.body.size} bytes (unsigned ${art.length}); campaign to ${N} devices`);
    const t0 = performance.now();
    const created = await c.api<CampaignView>('POST', '/v1/campaigns', {
      name: 'bench',
      modelId: up.body.id,
      target: { fleetId: fleet.id },
      phases: [{ percent: 100 }],
    });
    const done = await waitCampaign(() => c.api, created.id, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    if (done.status !== 'succeeded') throw new Error(`campaign ${done.status}: ${done.reason ?? ''}`);

    const spans: number[] = [];
    for (const v of vmcus) {
      const e = await c.api<ExecutionView>('GET', `/v1/campaigns/${created.id}/executions/${v.deviceId}`);
      const at = (to: string) => e.history?.find((h) => h.to === to && h.accepted)?.tsMs;
      const from = at('downloading');
      const to = at('verifying') ?? at('flashing') ?? at('test-booting') ?? at('succeeded');
      if (from !== undefined && to !== undefined) spans.push((to - from) / 1000);
    }
    spans.sort((x, y) => x - y);
    const artifactBytes = up.body.size;
    const lineSeconds = artifactBytes / LINE_BYTES_PER_S;
    const out = {
      devices: N,
      gateways: G,
      seconds: Number(seconds.toFixed(2)),
      serial_line_rate_fraction: Number((lineSeconds / seconds).toFixed(3)),
      cloud_egress_bytes: done.egressBytes,
      artifact_bytes: artifactBytes,
      egress_ratio: Number((done.egressBytes / (artifactBytes * G)).toFixed(3)),
      line_emulated: false,
      line_seconds_at_921600: Number(lineSeconds.toFixed(2)),
      device_serial_seconds: {
        median: spans[Math.floor(spans.length / 2)] ?? null,
        max: spans[spans.length - 1] ?? null,
      },
    };
    if (values.json) console.log(JSON.stringify(out));
    else {
      console.log(`${N} devices behind ${G} gateways, artifact ${artifactBytes} B: ${out.seconds} s`);
      console.log(
        `serial line-rate fraction ${out.serial_line_rate_fraction} (pty not throttled; ${out.line_seconds_at_921600} s at 921600 baud)`,
      );
      console.log(`cloud egress ${out.cloud_egress_bytes} B = ${out.egress_ratio} x artifact x gateways`);
    }
  } finally {
    await Promise.all(gateways.map((g) => g.child.stop().catch(() => {})));
    await Promise.all(vmcus.map((v) => v.child.stop().catch(() => {})));
    await cloud?.cloud.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
