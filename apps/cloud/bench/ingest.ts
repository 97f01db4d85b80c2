/**
 * bench:ingest — how fast the cloud accepts partial gradient updates, against plain aedes in the same run.
 *
 * G simulated gateways (mqtt.js clients) publish pre-encoded GRAD_UPDATE messages (CBOR, PROTOCOL.md
 * §4.4) at QoS 1 with W messages in flight each, as fast as PUBACKs come back. The embedded cloud broker
 * acknowledges only after authentication, ACL, CBOR decode, validation and a durable SQLite commit
 * (WAL; a batch's PUBACKs wait for an fsync of the log that started after its commit: group commit,
 * src/broker/ingest/group-commit.ts), so "acked" means "stored". The anchor is bare aedes (no hooks, in-memory) on the same machine,
 * same clients (in a worker thread), same topics, payloads, QoS and window.
 *
 * Method: one warm-up round per side (a tenth of the updates, not counted: JIT, page cache), then
 * `--rounds` pairs of rounds, bare aedes then cloud, each pair on fresh brokers with the same payloads;
 * `ratio` is the median of the pairs' ratios (cloud / bare of the same pair, so a change of machine load
 * between pairs cancels out as much as it can), `updates_per_s` and `bare_aedes_msgs_per_s` the medians
 * of each side. The publishers share the machine's cores with the broker under test on both sides.
 * `broker_busy` and `bare_busy` are the medians of the broker thread's event-loop utilization during the
 * rounds (the share of the wall time it was running code rather than waiting): a broker well under 1 is
 * waiting for something else, e.g. the publishers or the disk, not short of CPU. `cpu_us_per_update` and
 * `bare_cpu_us_per_msg`: CPU time of the whole process (broker, publisher thread, SQLite, syncs,
 * checkpoints) per message, medians; less sensitive than rates to other load on a shared machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { deviceMessageId, encodeMessage } from '@tinyfleet/protocol/messages';
import { clientIdFor, gatewayIdentity, topicFor } from '@tinyfleet/protocol/mqtt';
import { Aedes } from 'aedes';
import { startCloud } from '../src/server/index.js';
import type { PublisherClient, PublisherJob } from './ingest-publisher.js';

const HELP = `Usage: npm run -s bench:ingest -- [--json] [options]

Simulated gateways publish partial gradient updates to the cloud as fast as it acknowledges them, and
to bare aedes in the same run. Prints {"updates_per_s","bare_aedes_msgs_per_s","ratio",...}, with the
share of the time each broker thread was busy ("broker_busy", "bare_busy") and the process's CPU time
per message ("cpu_us_per_update", "bare_cpu_us_per_msg").

Options:
  --gateways G    simulated gateways (default 4)
  --updates N     updates per gateway per round (default 7500: 30,000 per round)
  --inflight W    QoS 1 messages in flight per gateway (default 32)
  --structures K  structures per update (default 8; ref-cnn conv2 rows of 144 int8 values)
  --rounds R      measured rounds per side, alternating; medians are reported (default 3)
  --json          print one JSON object and nothing else
  --help          this text`;

interface Opts {
  gateways: number;
  updates: number;
  inflight: number;
  structures: number;
  rounds: number;
  json: boolean;
}

function options(): Opts {
  const { values } = parseArgs({
    options: {
      gateways: { type: 'string', default: '4' },
      updates: { type: 'string', default: '7500' },
      inflight: { type: 'string', default: '32' },
      structures: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const num = (k: keyof typeof values, min: number, max: number): number => {
    const v = Number(values[k]);
    if (!Number.isInteger(v) || v < min || v > max) {
      console.error(`--${k} must be an integer in [${min}, ${max}]\n\n${HELP}`);
      process.exit(2);
    }
    return v;
  };
  return {
    gateways: num('gateways', 1, 64),
    updates: num('updates', 1, 1_000_000),
    inflight: num('inflight', 1, 1024),
    structures: num('structures', 1, 32),
    rounds: num('rounds', 1, 10),
    json: values.json === true,
  };
}

const ELEMENTS = 144; // ref-cnn conv2: 3x3x16 weights per filter, 32 filters

/** Realistic GRAD_UPDATE payloads for one gateway's device, each with its own message id. */
function payloads(count: number, structures: number, boot: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const indices = new Uint16Array(structures).map((_, j) => (i * 7 + j * 3) % 32);
    indices.sort();
    const values = new Uint8Array(structures * ELEMENTS).map((_, j) => (i + j * 31) & 0xff);
    const bytes = encodeMessage({
      type: 'GRAD_UPDATE',
      id: deviceMessageId(boot, i),
      sessionId: 1,
      step: i + 1,
      layer: 1,
      kind: 'DELTA',
      samplesSeen: i + 1,
      structures: 32,
      elements: ELEMENTS,
      indices: Uint16Array.from(new Set(indices)),
      values: values.subarray(0, new Set(indices).size * ELEMENTS),
      scale: 0.0078125,
      zeroPoint: 128,
    });
    out.push(bytes);
  }
  return out;
}

/** Run the publishers in a worker thread; resolves with the seconds from first publish to last PUBACK. */
async function blast(job: PublisherJob): Promise<{ seconds: number; busy: number; cpuUs: number }> {
  // The worker runs TypeScript too: register tsx inside it before importing the publisher module.
  const entry = new URL('./ingest-publisher.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: job });
  try {
    let start = performance.eventLoopUtilization();
    let cpu = process.cpuUsage();
    return await new Promise((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (m === 'ready') {
          start = performance.eventLoopUtilization();
          cpu = process.cpuUsage();
          worker.postMessage('go');
        } else {
          const busy = performance.eventLoopUtilization(start).utilization;
          const used = process.cpuUsage(cpu);
          resolve({ seconds: (m as { seconds: number }).seconds, busy, cpuUs: used.user + used.system });
        }
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`publisher worker exited with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * One round: messages per second; the broker thread's event-loop utilization meanwhile; CPU time of the
 * whole process (broker, publishers, SQLite, syncs, checkpoints) per message.
 */
interface Round {
  rate: number;
  busy: number;
  cpu: number;
}

async function roundCloud(o: Opts, round: number): Promise<Round & { stored: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-bench-ingest-'));
  const cloud = await startCloud({ dataDir, httpPort: 0, mqtt: { port: 0, wsPort: null } });
  try {
    const fleet = cloud.store.fleets.create({ name: 'bench' });
    const clients: PublisherClient[] = [];
    for (let g = 0; g < o.gateways; g++) {
      const { gateway, password } = cloud.store.gateways.create({ fleetId: fleet.id, name: `gw${g}` });
      clients.push({
        clientId: clientIdFor(gatewayIdentity(gateway.id)),
        username: gateway.id,
        password,
        topic: topicFor('GRAD_UPDATE', { gatewayId: gateway.id, deviceId: `dev${g}` }),
        payloads: payloads(o.updates, o.structures, round + 1),
      });
    }
    const { seconds, busy, cpuUs } = await blast({ url: cloud.mqttUrl, inflight: o.inflight, clients });
    const n = o.gateways * o.updates;
    return { rate: n / seconds, busy, cpu: cpuUs / n, stored: cloud.store.gradients.count() };
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function roundBare(o: Opts, round: number): Promise<Round> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const clients: PublisherClient[] = [];
    for (let g = 0; g < o.gateways; g++) {
      clients.push({
        clientId: `bare-${g}`,
        topic: topicFor('GRAD_UPDATE', { gatewayId: `gw${g}`, deviceId: `dev${g}` }),
        payloads: payloads(o.updates, o.structures, round + 1),
      });
    }
    const { seconds, busy, cpuUs } = await blast({
      url: `mqtt://127.0.0.1:${port}`,
      inflight: o.inflight,
      clients,
    });
    const n = o.gateways * o.updates;
    return { rate: n / seconds, busy, cpu: cpuUs / n };
  } finally {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const o = options();
  const sample = payloads(1, o.structures, 1)[0]!;
  const warm = { ...o, updates: Math.max(1, Math.round(o.updates / 10)) };
  await roundBare(warm, 0);
  await roundCloud(warm, 0);
  const bare: number[] = [];
  const cloud: number[] = [];
  const ratios: number[] = [];
  const bareBusy: number[] = [];
  const cloudBusy: number[] = [];
  const bareCpu: number[] = [];
  const cloudCpu: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const b = await roundBare(o, r);
    const c = await roundCloud(o, r);
    if (c.stored !== o.gateways * o.updates) {
      throw new Error(`stored ${c.stored} of ${o.gateways * o.updates} updates: ingestion lost messages`);
    }
    bare.push(b.rate);
    cloud.push(c.rate);
    ratios.push(c.rate / b.rate);
    bareBusy.push(b.busy);
    cloudBusy.push(c.busy);
    bareCpu.push(b.cpu);
    cloudCpu.push(c.cpu);
    if (!o.json) {
      console.error(
        `round ${r + 1}: cloud ${c.rate.toFixed(0)} updates/s (broker thread ${(100 * c.busy).toFixed(0)}% busy, ` +
          `${c.cpu.toFixed(1)} µs CPU each), bare aedes ${b.rate.toFixed(0)} msgs/s (${(100 * b.busy).toFixed(0)}%, ` +
          `${b.cpu.toFixed(1)} µs), ratio ${(c.rate / b.rate).toFixed(3)}`,
      );
    }
  }
  const result = {
    updates_per_s: Math.round(median(cloud)),
    bare_aedes_msgs_per_s: Math.round(median(bare)),
    ratio: Number(median(ratios).toFixed(3)),
    ratios: ratios.map((x) => Number(x.toFixed(3))),
    broker_busy: Number(median(cloudBusy).toFixed(2)),
    bare_busy: Number(median(bareBusy).toFixed(2)),
    cpu_us_per_update: Number(median(cloudCpu).toFixed(1)),
    bare_cpu_us_per_msg: Number(median(bareCpu).toFixed(1)),
    rounds: o.rounds,
    gateways: o.gateways,
    updates: o.gateways * o.updates,
    payload_bytes: sample.length,
    inflight: o.inflight,
    durable: 'sqlite WAL, fdatasync of the log before each PUBACK (group commit)',
  };
  console.log(o.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
