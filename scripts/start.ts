/**
 * `npm start`: the main job on embedded defaults. One machine runs a whole site: the cloud (HTTP API,
 * embedded MQTT broker, SQLite) in this process, the gateway daemon and N virtual MCUs (host firmware on
 * pseudo-terminals, each playing another MCU) as child processes, and a training session on all devices.
 * Prints where to look, then live lines; Ctrl-C stops everything. See `npm start -- --help`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CloudSession,
  REPO_ROOT,
  Site,
  type SourceConfig,
  ToolMissingError,
  watchSite,
} from '@tinyfleet/system-tests/harness';

const HELP = `Usage: npm start -- [options]

Runs a TinyFleet site on this machine: the cloud (HTTP API, embedded MQTT broker, SQLite store), one
gateway daemon and N virtual MCUs (the host build of firmware-templates, each on a pseudo-terminal,
playing nRF52840 / STM32H743 / nRF5340), then starts a training session on every device and prints
live lines (presence, command results, metrics) until Ctrl-C.

Options:
  --data-dir DIR   where everything lives (default .tinyfleet/ in the repository); a second start
                   on the same directory reuses its fleet, gateway and admin token
  --ports BASE     HTTP API on BASE, MQTT on BASE+1, MQTT over WebSocket on BASE+2, gateway
                   status on BASE+3 (default 8080; 0 = any free ports)
  --devices N      number of virtual MCUs (default 3, at most 12)
  --no-train       do not start a training session
  --duration S     stop after S seconds (for scripted checks; default: run until Ctrl-C)
  -h, --help       this text

Needs cmake and a C compiler (Debian packages cmake, gcc) to build the virtual MCU into
.tinyfleet/build/vmcu (incremental).
`;

function fail(msg: string): never {
  console.error(`npm start: ${msg}`);
  process.exit(2);
}

function intOption(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer in ${min}..${max}`);
  return n;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        'data-dir': { type: 'string' },
        ports: { type: 'string' },
        devices: { type: 'string' },
        'no-train': { type: 'boolean' },
        duration: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return fail(`${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
  }
})();
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const dataDir = values['data-dir'] ? resolve(values['data-dir']) : join(REPO_ROOT, '.tinyfleet');
const base = intOption('ports', values.ports, 8080, 0, 65532);
const devices = intOption('devices', values.devices, 3, 1, 12);
const duration =
  values.duration === undefined ? undefined : intOption('duration', values.duration, 0, 1, 86_400);
const train = !values['no-train'];
const at = (k: number) => (base === 0 ? 0 : base + k);
const show = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

// Data: MNIST from ../shared/datasets (or $TINYFLEET_DATASETS) when present, streamed by the gateway's
// mnist source; else the gateway's generated synthetic source.
const datasets = process.env.TINYFLEET_DATASETS ?? join(REPO_ROOT, '..', 'shared', 'datasets');
const mnist = join(datasets, 'mnist');
const hasMnist = existsSync(mnist);
const source: SourceConfig = hasMnist
  ? { name: 'mnist', type: 'mnist', dir: datasets, split: 'train' }
  : { name: 'synthetic', type: 'synthetic', shape: [8, 8, 1], classes: 4, size: 1024 };

const say = (s: string) => console.log(s);

/**
 * The on-device training defaults written into the artifact's TRAIN record (PROTOCOL.md §5.7, §6.6.10):
 * the update rule that measures best in the FQT experiment (`tinyfleet fqt-sim`, MNIST domain shift:
 * SGD at lr 0.02 with ew 0.01, the TRAINING_DEFAULTS rate, reaches 91.65% at a 100% update rate against
 * 90.75% for float fine-tuning, where STANDARDIZED at lr 0.001 gave 86.2%), round to nearest. The file
 * name carries them, so a data dir built with other defaults gets a new artifact.
 */
const DEVICE_TRAINING = ['--lr', '0.02', '--update', 'sgd', '--rounding', 'nearest', '--lambda', '0.5,0.5'];
const DEVICE_ARTIFACT = 'ref-cnn-sgd-lr0.02.tfm';

/**
 * The model the virtual MCUs boot with: ref-cnn trained briefly on MNIST in float, quantized to a model
 * artifact whose last two weighted layers (conv2, dense) may be trained on the device. Built once per
 * data dir with the tinyfleet CLI (the float model is kept and reused); without MNIST the devices boot
 * without a model and refuse training.
 */
function deviceModel(): string | undefined {
  if (!hasMnist) return undefined;
  const dir = join(dataDir, 'models');
  const artifact = join(dir, DEVICE_ARTIFACT);
  if (existsSync(artifact)) return artifact;
  mkdirSync(dir, { recursive: true });
  const cli = join(REPO_ROOT, 'apps', 'cloud', 'bin', 'tinyfleet.js');
  const float = join(dir, 'ref-cnn.tfmodel');
  const steps: [string, string[]][] = [];
  if (!existsSync(float))
    steps.push([
      'training ref-cnn on MNIST (1 epoch, 10k samples)',
      [
        'train',
        '--arch',
        'ref-cnn',
        '--dataset',
        'mnist',
        '--data',
        datasets,
        '--epochs',
        '1',
        '--limit',
        '10000',
        '--out',
        float,
        '--json',
      ],
    ]);
  steps.push([
    'quantizing it to a model artifact (conv2 + dense trainable on the device, update rule SGD)',
    [
      'quantize',
      float,
      '--dataset',
      'mnist',
      '--data',
      datasets,
      '--out',
      artifact,
      '--calib',
      '300',
      '--limit',
      '500',
      '--trainable',
      'last2',
      ...DEVICE_TRAINING,
      '--json',
    ],
  ]);
  for (const [what, args] of steps) {
    say(`  .. ${what}`);
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tinyfleet ${args[0]} failed:\n${r.stderr}`);
  }
  return artifact;
}
let site: Site | undefined;
let stoppingSince: number | undefined;

async function shutdown(reason: string, code: number): Promise<never | undefined> {
  if (stoppingSince !== undefined) {
    // One Ctrl-C can arrive twice (from the terminal and relayed by tsx): only a later one forces.
    if (Date.now() - stoppingSince < 1500) return;
    say('stopping at once (children are killed)');
    process.exit(130);
  }
  stoppingSince = Date.now();
  say(`\n${reason}: stopping the gateway, the virtual MCUs and the cloud`);
  watcher?.close();
  await site?.stop();
  say('stopped');
  process.exit(code);
}
let watcher: { close(): void } | undefined;
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

try {
  say(`TinyFleet site: cloud + 1 gateway + ${devices} virtual MCUs (data in ${show(dataDir)})`);
  const model = deviceModel();
  site = await Site.start({
    dataDir,
    ...(model !== undefined && { vmcuArgs: () => ['--model', model] }),
    ports: { http: at(0), mqtt: at(1), ws: at(2), gatewayStatus: at(3) },
    devices,
    source,
    // The gateway trusts the cloud's signing keys (GET /v1/keys), so OTA campaigns reach the devices.
    gatewayKeys: (running) => ({ cloudApiUrl: running.cloud.cloud.httpUrl }),
    progress: (m) => say(`  .. ${m}`),
  });
  const c = site.cloud;
  const http = c.cloud.httpUrl;
  say(`
Where to look
  HTTP API        ${http}
  OpenAPI         ${http}/openapi.json
  live stream     ${http}/v1/stream?access_token=${c.adminToken}   (SSE: presence, metrics, gradient)
  MQTT            ${c.cloud.mqttUrl}${c.cloud.wsUrl ? `   (WebSocket ${c.cloud.wsUrl})` : ''}
  admin token     ${c.adminToken}   (kept in ${show(join(dataDir, 'admin.token'))}, mode 0600${c.firstStart ? '; created now' : ''})
  gateway status  ${site.gateway.statusUrl}/status
  data dir        ${show(dataDir)}   (logs in ${show(join(dataDir, 'logs'))})
  try             curl -H "Authorization: Bearer ${c.adminToken}" ${http}/v1/devices
`);
  say('Virtual MCUs');
  for (const v of site.vmcus.values()) {
    const p = v.profile;
    say(
      `  ${v.deviceId.padEnd(12)} ${p.core.padEnd(10)} ${String(p.clockHz / 1e6).padStart(3)} MHz  ${String(p.ramBytes / 1024).padStart(4)} KiB RAM  ${String(p.flashBytes / 1024).padStart(4)} KiB flash  on ${v.ptyPath} (pid ${v.child.pid})`,
    );
  }
  watcher = watchSite(site, say);
  say('\nwaiting for the cloud to list every device online ...');
  const listed = await site.waitOnline(60_000);
  for (const d of listed) {
    const cap = d.capabilities;
    say(
      `  online: ${d.id} (cloud record: ${cap.core}, ${Number(cap.clockHz) / 1e6} MHz, ${Number(cap.ramBytes) / 1024} KiB RAM, firmware ${cap.firmwareVersion}, training ${cap.training ? 'yes' : 'no'})`,
    );
  }
  say('');
  if (train) {
    say(
      hasMnist
        ? `data: MNIST from ${show(mnist)} (train split), streamed by the gateway`
        : 'data: no MNIST in ../shared/datasets; training uses the gateway synthetic source (8x8x1, 4 classes)',
    );
    // Metrics and gradient updates every 100 steps (TRAIN_START me, ge; PROTOCOL.md §4.4.2).
    const session = await site.startTraining({ src: source.name, epochs: 1, me: 100, ge: 100 });
    say(
      `session ${session.id} (wire id ${session.wireId}) on ${session.deviceIds.join(', ')}: ${session.status}`,
    );
    let last = session.status;
    const poll = setInterval(() => {
      if (!site?.cloudRunning) return;
      site
        .api<CloudSession>('GET', `/v1/sessions/${session.id}`)
        .then((s) => {
          if (s.status === last) return;
          last = s.status;
          say(`session ${s.id}: ${s.status}${s.error ? ` (${s.error})` : ''}`);
          if (s.status === 'failed')
            say(
              '  the devices refused training (without MNIST they boot without a model); presence and heartbeats continue',
            );
        })
        .catch(() => {});
    }, 1000);
    poll.unref();
  } else {
    say('no training session (--no-train)');
  }
  say(duration ? `live lines for ${duration} s (Ctrl-C stops earlier):` : 'live lines (Ctrl-C stops):');
  if (duration) setTimeout(() => void shutdown(`--duration ${duration} s elapsed`, 0), duration * 1000);
} catch (e) {
  const inUse = (e as { code?: unknown } | null)?.code === 'EADDRINUSE';
  if (e instanceof ToolMissingError) console.error(`npm start: ${e.message}`);
  else if (inUse)
    console.error(
      `npm start failed: ${(e as Error).message}: another program (an earlier npm start?) holds that port; ` +
        'stop it, or choose other ports: npm start -- --ports BASE (BASE..BASE+3; 0: any free ports)',
    );
  else console.error('npm start failed:', e instanceof Error ? e.message : e);
  await site?.stop();
  process.exit(1);
}
