/**
 * bench:ota — one signed ~256 KiB model artifact to N virtual MCUs behind G gateways (issue 7, item 5).
 *
 * The fleet is real: the cloud in process (embedded broker, SQLite), G gateway daemons and N C virtual
 * MCUs (`tinyfleet-vmcu`, child processes on ptys), started with the site harness
 * (@tinyfleet/system-tests/harness). Devices are spread evenly over the gateways; each boots a small
 * model A (`--model`). The artifact is an MLP (256 -> h -> 64 -> 10, PTQ, uint8 weights) of about
 * 256 KiB, signed by the cloud on upload; one campaign, one 100% phase, targets the whole fleet.
 *
 * The serial line is emulated: every vmcu runs with `--baud B` (default 921600), which paces both
 * directions of its pty like a UART at B baud, 8N1 (firmware-templates/ports/host/tf_uart_pace.h), so
 * no byte reaches the device, or leaves it, faster than such a line carries it.
 *
 * Numbers (progress on stderr, `--json` prints one JSON line):
 * - `serial_line_rate_fraction`: how much of its serial line a device's update uses. For device d,
 *   `link_seconds(d)` is what its gateway measures (log record `ota delivered`, `linkMs`): from handing
 *   the first OTA_OFFER to d's link to receiving d's CONFIRMED, so it includes the slot erase (page by
 *   page as the blocks arrive, tf_ota.c), every block on the line, the device's flash writes,
 *   verification, the test boot and the confirm, and any time the line sat idle. Useful bytes are the artifact file's bytes (`artifact_bytes`), each counted
 *   once. The fraction is the fleet's useful bytes over the fleet's link time, divided by the line rate:
 *   `sum_d artifact_bytes / sum_d link_seconds(d) / (B / 10)` (equal bytes per device, so this is the
 *   harmonic mean of the per-device fractions; `per_device_fraction` gives min, median, max). Framing
 *   caps it near 0.92 (§3.9: 17 bytes per 256-byte frame; OTA_BLOCK envelopes).
 * - `seconds`: from POST /v1/campaigns to the campaign's `succeeded` (the cloud's tick, the gateways'
 *   fetch of the artifact by block transfer, every device's update, the results' way back).
 *   `campaign_line_fraction` is `artifact_bytes / seconds / (B / 10)`: the fleet-wide figure, which also
 *   pays for the cloud-to-gateway hop.
 * - `cloud_egress_bytes`: the campaign's `egressBytes` (every BLOCK_DATA the cloud sent); `egress_ratio`
 *   divides it by artifact x gateways (the budget is 1.1).
 * - `link`: where the link time goes: the median time (ms after the offer) each step's request went
 *   out (`done`: the delivery ended, after the final report), the DATA frames sent again (RTO expiries,
 *   fast retransmits), `useful_over_wire`, the artifact bytes over the bytes the gateways put on the
 *   lines, and per device (median) the frames it sent, the DATA frames and the serial transport's reads
 *   and writes on its gateway.
 * - `cpu_seconds`: CPU (user + system) used during the campaign by the vmcus, the gateway daemons, and
 *   this process (the cloud and the bench), from /proc (null elsewhere): where the cores went.
 *
 * Flags: --devices N (50) --gateways G (5) --kib K (256) --baud B (921600) --json. Needs cmake and a C
 * compiler.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildVmcu,
  type CampaignView,
  deviceFor,
  mlpArtifact,
  type RunningGateway,
  type SiteCloud,
  startGateway,
  startSiteCloud,
  startVmcu,
  uploadModel,
  VMCU_BUILD_DIR,
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
    baud: { type: 'string', default: '921600' },
  },
});
const N = Number(values.devices);
const G = Number(values.gateways);
const KIB = Number(values.kib);
const BAUD = Number(values.baud);
if (!(N >= 1 && N <= 256 && G >= 1 && G <= N && KIB >= 8 && KIB <= 480 && BAUD >= 9600 && BAUD <= 16e6)) {
  console.error(
    'usage: bench/ota.ts [--devices 1..256] [--gateways 1..devices] [--kib 8..480] [--baud 9600..16000000] [--json]',
  );
  process.exit(2);
}
const LINE_BYTES_PER_S = BAUD / 10; // 8N1: 10 bits per byte
const say = (m: string) => process.stderr.write(`bench:ota ${m}\n`);

/**
 * CPU seconds (user + system) used so far by the processes of the given process groups (each child of
 * the harness leads its own group), from /proc; undefined where /proc is absent. Processes that ended
 * are not counted (none end during a campaign).
 */
function groupCpuSeconds(groups: ReadonlySet<number>): number | undefined {
  let ticks = 0;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/^[0-9]+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // fields after the command name: state ppid pgrp ... utime (14th field) stime (15th)
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (groups.has(Number(f[2]))) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100; // USER_HZ, 100 on Linux
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-ota-'));
  const vmcus: Vmcu[] = [];
  const gateways: RunningGateway[] = [];
  let cloud: SiteCloud | undefined;
  try {
    say('building the virtual MCU');
    // its own build tree, so a site or a test building the vmcu at the same time does not race it
    const bin = buildVmcu(`${VMCU_BUILD_DIR}-bench`);
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
          extraArgs: ['--model', aFile, '--ram', '2M', '--baud', String(BAUD), '--quiet'], // paced UART
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
    const vmcuGroups = new Set(vmcus.map((v) => v.child.pid));
    const gatewayGroups = new Set(gateways.map((g) => g.child.pid));
    const cpu0 = {
      vmcus: groupCpuSeconds(vmcuGroups),
      gateways: groupCpuSeconds(gatewayGroups),
      self: process.cpuUsage(),
    };
    const t0 = performance.now();
    const created = await c.api<CampaignView>('POST', '/v1/campaigns', {
      name: 'bench',
      modelId: up.body.id,
      target: { fleetId: fleet.id },
      phases: [{ percent: 100 }],
    });
    const done = await waitCampaign(() => c.api, created.id, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    const selfCpu = process.cpuUsage(cpu0.self);
    const cpuDelta = (now: number | undefined, then: number | undefined) =>
      now !== undefined && then !== undefined ? Number((now - then).toFixed(2)) : null;
    // CPU used during the campaign, by kind of process: where the 2 cores of the bench machine went.
    const cpuSeconds = {
      vmcus: cpuDelta(groupCpuSeconds(vmcuGroups), cpu0.vmcus),
      gateways: cpuDelta(groupCpuSeconds(gatewayGroups), cpu0.gateways),
      cloud_and_bench: Number(((selfCpu.user + selfCpu.system) / 1e6).toFixed(2)),
    };
    if (done.status !== 'succeeded') throw new Error(`campaign ${done.status}: ${done.reason ?? ''}`);

    // Each device's link time, as its gateway measured it (apps/gateway/src/ota/deliver.ts); a log line
    // may trail the result that went up over MQTT by a moment.
    const linkSeconds = new Map<string, number>();
    const collect = () => {
      for (const g of gateways)
        for (const r of g.logs)
          if (r.msg === 'ota delivered' && typeof r.device === 'string' && typeof r.linkMs === 'number')
            linkSeconds.set(r.device, r.linkMs / 1000);
      return linkSeconds.size >= N ? true : undefined;
    };
    await waitFor(`an 'ota delivered' record of each device`, async () => collect(), 10_000, 50).catch(
      () => {},
    );
    // Where a device's link time goes (medians over devices): when each step started, frames resent,
    // and the useful share of the bytes the gateway put on the line.
    const delivered = gateways.flatMap((g) => g.logs.filter((r) => r.msg === 'ota delivered'));
    const med = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? null;
    const stepNames = [...new Set(delivered.flatMap((r) => Object.keys((r.stepsMs as object) ?? {})))];
    const steps = Object.fromEntries(
      stepNames.map((k) => [k, med(delivered.map((r) => Number((r.stepsMs as Record<string, number>)[k])))]),
    );
    const sum = (k: string) => delivered.reduce((s, r) => s + Number(r[k] ?? 0), 0);
    const retransmissions = sum('retransmissions');
    const wire = delivered.reduce((s, r) => s + Number(r.wireBytesOut ?? 0), 0);
    const missing = vmcus.filter((v) => !linkSeconds.has(v.deviceId)).map((v) => v.deviceId);
    if (missing.length > 0) throw new Error(`no 'ota delivered' record for ${missing.join(', ')}`);
    const artifactBytes = up.body.size;
    const secs = [...linkSeconds.values()].sort((x, y) => x - y);
    const total = secs.reduce((s, x) => s + x, 0);
    const fraction = (s: number) => artifactBytes / s / LINE_BYTES_PER_S;
    const r3 = (x: number) => Number(x.toFixed(3));
    const out = {
      devices: N,
      gateways: G,
      seconds: Number(seconds.toFixed(2)),
      serial_line_rate_fraction: r3((N * artifactBytes) / total / LINE_BYTES_PER_S),
      cloud_egress_bytes: done.egressBytes,
      artifact_bytes: artifactBytes,
      baud: BAUD,
      line_emulated: true,
      per_device_fraction: {
        min: r3(fraction(secs[secs.length - 1] as number)),
        median: r3(fraction(secs[Math.floor(secs.length / 2)] as number)),
        max: r3(fraction(secs[0] as number)),
      },
      link_seconds: {
        min: r3(secs[0] as number),
        median: r3(secs[Math.floor(secs.length / 2)] as number),
        max: r3(secs[secs.length - 1] as number),
      },
      line_seconds: r3(artifactBytes / LINE_BYTES_PER_S),
      campaign_line_fraction: r3(fraction(seconds)),
      egress_ratio: r3(done.egressBytes / (artifactBytes * G)),
      cpu_seconds: cpuSeconds,
      link: {
        steps_ms_median: steps,
        retransmissions,
        rto_expiries: sum('timeouts'),
        fast_retransmits: sum('fastRetransmits'),
        useful_over_wire: wire > 0 ? r3((N * artifactBytes) / wire) : null,
        // per device (median): frames the device sent (acks, statuses), DATA frames the gateway sent, and
        // the gateway's reads from and writes to the serial transport (each a call through serialport)
        per_device_median: Object.fromEntries(
          ['framesIn', 'dataFramesOut', 'transportReads', 'transportWrites'].map((k) => [
            k,
            med(delivered.map((r) => Number(r[k] ?? 0))),
          ]),
        ),
      },
    };
    if (values.json) console.log(JSON.stringify(out));
    else {
      console.log(
        `${N} devices behind ${G} gateways, artifact ${artifactBytes} B at ${BAUD} baud: ${out.seconds} s`,
      );
      console.log(
        `serial line-rate fraction ${out.serial_line_rate_fraction} (per device ${out.per_device_fraction.min}..${out.per_device_fraction.max}; a device's link ${out.link_seconds.median} s median, the line alone ${out.line_seconds} s)`,
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
