/**
 * The MQTT feed of a live source against a real broker (Debian's mosquitto on a free loopback port):
 * samples published by an MQTT.js client reach a running session byte for byte, bad messages are
 * rejected, logged and counted without disturbing the connection, the feed reconnects after the broker
 * restarts, and the daemon starts it, shows it in /status and closes it on stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Message } from '@tinyfleet/protocol/messages';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { parseSource } from '../config/sources.js';
import { Gateway } from '../daemon/gateway.js';
import { memoryLogger } from '../log/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { MemoryPorts } from '../transport/index.js';
import { LiveMqttFeed, LiveSource, REJECT_LOG, type SessionFeed } from './index.js';

/** Debian installs the broker in /usr/sbin, which a non-root PATH may lack. */
const MOSQUITTO = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']
  .filter((d) => d !== '')
  .map((d) => join(d, 'mosquitto'))
  .find((p) => existsSync(p));
if (!MOSQUITTO) console.warn('live MQTT feed tests skipped: needs the Debian package mosquitto');

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const addr = srv.address();
  await new Promise((r) => srv.close(r));
  if (addr === null || typeof addr === 'string') throw new Error('no free port');
  return addr.port;
}

/** mosquitto with a minimal config on `port`; its log (stderr) tells who connected and left. */
class Broker {
  #proc: ChildProcess | undefined;
  log = '';
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(conf, `listener ${this.port} 127.0.0.1\nallow_anonymous true\n`);
    const proc = spawn(MOSQUITTO ?? 'mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#proc = proc;
    let exited = false;
    proc.on('exit', () => (exited = true));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    const at = this.log.length;
    await until(() => exited || / running/.test(this.log.slice(at)), 'mosquitto to run');
    if (exited) throw new Error(`mosquitto exited:\n${this.log}`);
  }

  /** Waits until the broker logs that this client's connection ended. */
  left(clientId: string): Promise<void> {
    const re = new RegExp(`Client ${clientId} (disconnected|closed its connection)`);
    return until(() => re.test(this.log), `the broker to see ${clientId} leave`);
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (p?.pid === undefined || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGKILL');
    await gone;
  }
}

let dir: string;
let broker: Broker;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  if (!MOSQUITTO) return;
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-live-mqtt-'));
  broker = new Broker(dir, await freePort());
  cleanups.push(() => broker.stop());
  await broker.start();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A live source of 2x2x1 float samples, 3 classes, model input scale 0.5 and zero point 128. */
function liveSource(topic: string, extra: Record<string, unknown> = {}): LiveSource {
  const c = parseSource(
    {
      name: 'hub',
      type: 'live',
      shape: [2, 2, 1],
      classes: 3,
      input: { scale: 0.5, zeroPoint: 128 },
      mqtt: { url: broker.url, topic, ...extra },
    },
    '$.sources[0]',
    dir,
  );
  if (c.type !== 'live') throw new Error('a live source expected');
  return new LiveSource(c);
}

async function publisher(): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  cleanups.push(() => c.endAsync(true));
  return c;
}

const publish = (c: MqttClient, topic: string, body: unknown, retain = false) =>
  c.publishAsync(topic, typeof body === 'string' || body instanceof Buffer ? body : JSON.stringify(body), {
    qos: 1,
    retain,
  });

async function runningFeed(source: LiveSource, now?: () => number) {
  const log = memoryLogger('debug');
  const feed = new LiveMqttFeed({ source, log, reconnect: { baseMs: 20, maxMs: 200 }, ...(now && { now }) });
  cleanups.push(() => feed.stop());
  feed.start();
  await until(() => feed.stats.state === 'online', 'the feed to subscribe');
  return { feed, log };
}

const bytes = (s: SessionFeed, seq: number) => {
  const { x, y } = s.sample(seq);
  return { x: [...x], y };
};

describe.skipIf(!MOSQUITTO)('live source MQTT feed (mosquitto)', () => {
  it('queues published samples for a running session, quantized as over HTTP', async () => {
    const source = liveSource('site/samples/#');
    const { feed } = await runningFeed(source);
    const session = await source.open({});
    const pub = await publisher();
    await publish(pub, 'site/samples/line3', { x: [0, 0.5, -0.5, 100], y: 2 });
    await publish(pub, 'site/samples/line4', {
      samples: [
        { x: [1, 1, 1, 1], y: 0 },
        { x: [-1, 2, 0.25, -100], y: 1 },
      ],
    });
    await until(() => session.available(0) === 3, 'three samples');
    // q = clamp(round(x / 0.5) + 128, 0, 255), half away from zero.
    expect(bytes(session, 0)).toEqual({ x: [128, 129, 127, 255], y: 2 });
    expect(bytes(session, 1)).toEqual({ x: [130, 130, 130, 130], y: 0 });
    expect(bytes(session, 2)).toEqual({ x: [126, 132, 129, 0], y: 1 });
    expect(feed.stats).toMatchObject({ state: 'online', received: 2, accepted: 2, rejected: 0, samples: 3 });
    expect(source.stats()).toMatchObject({ received: 3, sessions: 1 });
  });

  it('rejects, logs and counts bad messages; the connection and later samples carry on', async () => {
    const source = liveSource('site/+/samples', { qos: 0 });
    const { feed, log } = await runningFeed(source);
    const session = await source.open({});
    const pub = await publisher();
    const topic = 'site/line3/samples';
    await publish(pub, topic, '{"x": [1, 2');
    await publish(pub, topic, Buffer.from([0xff, 0xfe, 0x7b]));
    await publish(pub, topic, { x: [1, 2, 3], y: 0 });
    await publish(pub, topic, { x: [1, 2, 3, 4], y: 3 });
    await publish(pub, topic, { source: 'other', x: [1, 2, 3, 4], y: 0 });
    await publish(pub, topic, { x: [0.5, 0, 0, 0], y: 1 });
    await until(() => feed.stats.received === 6, 'six messages');
    expect(feed.stats).toMatchObject({ state: 'online', connects: 1, accepted: 1, rejected: 5, samples: 1 });
    expect(session.available(0)).toBe(1);
    expect(bytes(session, 0)).toEqual({ x: [129, 128, 128, 128], y: 1 });
    const warned = log.records.filter((r) => r.msg === 'live sample message rejected');
    expect(warned.map((r) => [r.level, r.topic, r.source])).toEqual(Array(5).fill(['warn', topic, 'hub']));
    expect(warned.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^not UTF-8 JSON: /),
      expect.stringMatching(/^not UTF-8 JSON: /),
      'x: 4 numbers expected (shape [2,2,1]), got 3',
      'y: an integer class in 0..2 expected',
      'source: this topic feeds live source hub',
    ]);
    expect(feed.stats.lastRejected).toBe(`${topic}: source: this topic feeds live source hub`);
  });

  it('logs at most REJECT_LOG.perWindow rejections per window, then says how many went unlogged', async () => {
    let clock = 0;
    const source = liveSource('flood/#', { qos: 0 });
    const { feed, log } = await runningFeed(source, () => clock);
    const pub = await publisher();
    const n = REJECT_LOG.perWindow + 15;
    for (let i = 0; i < n; i++) await publish(pub, 'flood/x', `garbage ${i}`);
    await until(() => feed.stats.received === n, 'every message');
    const warned = () => log.records.filter((r) => r.msg === 'live sample message rejected');
    expect(warned()).toHaveLength(REJECT_LOG.perWindow);
    expect(feed.stats).toMatchObject({ rejected: n, accepted: 0 });
    clock += REJECT_LOG.windowMs;
    await publish(pub, 'flood/x', 'one more');
    await until(() => feed.stats.received === n + 1, 'the next message');
    expect(warned()).toHaveLength(REJECT_LOG.perWindow + 1);
    expect(warned().at(-1)).toMatchObject({
      unloggedBefore: 15,
      reason: expect.stringMatching(/^not UTF-8 JSON/),
    });
  });

  it('drops a retained message (a sample from before the subscription)', async () => {
    const pub = await publisher();
    await publish(pub, 'old/samples', { x: [0, 0, 0, 0], y: 0 }, true);
    const { feed, log } = await runningFeed(liveSource('old/#'));
    await until(() => feed.stats.received === 1, 'the retained message');
    expect(feed.stats).toMatchObject({ accepted: 0, rejected: 1 });
    expect(log.records.at(-1)).toMatchObject({
      topic: 'old/samples',
      reason: expect.stringMatching(/retained/),
    });
  });

  it('reconnects with backoff when the broker comes back, and stop closes the client', async () => {
    const source = liveSource('site/#');
    const { feed, log } = await runningFeed(source);
    const session = await source.open({});
    await broker.stop();
    await until(() => feed.stats.state !== 'online', 'the feed to notice');
    expect(log.records.find((r) => r.msg === 'live feed connection lost')).toMatchObject({ level: 'warn' });
    await broker.start();
    await until(() => feed.stats.state === 'online' && feed.stats.connects === 2, 'the feed to reconnect');
    await publish(await publisher(), 'site/a', { x: [1, 0, 0, 0], y: 2 });
    await until(() => session.available(0) === 1, 'a sample after the reconnect');
    expect(bytes(session, 0)).toEqual({ x: [130, 128, 128, 128], y: 2 });

    const { clientId } = feed.stats;
    await feed.stop();
    expect(feed.stats.state).toBe('stopped');
    await broker.left(clientId);
  });

  it('is started by the daemon, shown in /status, streamed to a device and closed on stop', async () => {
    const ports = new MemoryPorts();
    const dev = new TestDeviceDouble(ports.plug('/dev/devA').device, { deviceId: 'devA', sbuf: 8, batch: 4 });
    const gw = await Gateway.start(
      parseConfig({
        gatewayId: 'gw_live',
        dataDir: join(dir, 'gw'),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x', reconnect: { baseMs: 1000, maxMs: 1000 } },
        ports: ['/dev/devA'],
        status: { host: '127.0.0.1', port: 0 },
        sampleRate: 0,
        sources: [
          {
            name: 'hub',
            type: 'live',
            shape: [2, 2, 1],
            classes: 3,
            input: { scale: 0.5, zeroPoint: 128 },
            mqtt: { url: broker.url, topic: 'hub/samples' },
          },
        ],
      }),
      { open: ports.open, log: memoryLogger('warn') },
    );
    let running = true;
    cleanups.push(async () => {
      if (running) await gw.stop();
      await dev.close();
    });
    await until(() => gw.devices.get('devA') !== undefined, 'the device');
    const status = async () =>
      ((await (await fetch(`${gw.statusUrl}/status`)).json()) as { sources: Record<string, unknown> })
        .sources;
    await until(
      () => (gw.snapshot().sources as { hub: { mqtt: { state: string } } }).hub.mqtt.state === 'online',
      'the feed to subscribe',
    );
    const start = await fetch(`${gw.statusUrl}/sessions/start`, {
      method: 'POST',
      body: JSON.stringify({ devices: ['devA'], source: 'hub', sid: 5 }),
    });
    expect(start.status).toBe(200);
    await publish(await publisher(), 'hub/samples', { x: [0.5, 1, 1.5, 2], y: 1 });
    await until(() => dev.samples.length === 1, 'the sample at the device');
    const batch = dev.received.find(
      (m): m is Extract<Message, { type: 'SAMPLE_BATCH' }> => m.type === 'SAMPLE_BATCH',
    );
    expect(batch).toMatchObject({ sessionId: 5, firstSeq: 0, inputScale: 0.5, inputZeroPoint: 128 });
    expect([...(batch?.x ?? [])]).toEqual([129, 130, 131, 132]);
    expect((await status()).hub).toMatchObject({
      received: 1,
      sessions: 1,
      mqtt: { state: 'online', url: broker.url, topic: 'hub/samples', received: 1, accepted: 1 },
    });

    const { clientId } = (gw.snapshot().sources as { hub: { mqtt: { clientId: string } } }).hub.mqtt;
    running = false;
    await gw.stop();
    await broker.left(clientId);
  });
});
