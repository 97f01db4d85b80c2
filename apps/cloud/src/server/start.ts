/**
 * `startCloud`: the store, the broker (embedded or external), ingestion and the HTTP API, wired together
 * and stopped in the reverse order (HTTP, broker, pending ingestion, database).
 */
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { decodeMessage } from '@tinyfleet/protocol/messages';
import { createApi } from '../api/index.js';
import {
  brokerCommander,
  type CloudMqtt,
  EmbeddedBroker,
  ExternalBroker,
  Ingestor,
  type Log,
  storeAuthenticator,
} from '../broker/index.js';
import { JobRunner } from '../jobs/runner.js';
import { OtaService } from '../ota/index.js';
import { LiveBus, newSecret, Store } from '../store/index.js';
import { type CloudConfigInput, resolveConfig } from './config.js';

export interface RunningCloud {
  httpUrl: string;
  mqttUrl: string;
  wsUrl: string | undefined;
  /** Set only on the first start of a data directory: the admin token, shown this once. */
  adminToken?: string;
  store: Store;
  bus: LiveBus;
  ota: OtaService;
  jobs: JobRunner;
  /** Uplink ingestion (its counters; whether a worker thread takes the gradient updates). */
  ingestor: Ingestor;
  stop(): Promise<void>;
}

/** The service secret of a data dir (PROTOCOL.md §2.2), created on first start, readable by the owner only. */
function serviceSecret(dataDir: string): string {
  const file = join(dataDir, 'service.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = newSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

const urlHost = (h: string) => (h.includes(':') ? `[${h}]` : h === '0.0.0.0' ? '127.0.0.1' : h);

export async function startCloud(input: CloudConfigInput = {}, log: Log = () => {}): Promise<RunningCloud> {
  const config = resolveConfig(input);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = Store.open(join(config.dataDir, 'cloud.db'));
  const bus = new LiveBus();
  const shutdown = new AbortController();
  const ingestor = new Ingestor({
    store,
    bus,
    decode: (b) => decodeMessage(b),
    log,
    offload: config.ingestWorker,
  });
  let mqtt: CloudMqtt | undefined;
  let ota: OtaService | undefined;
  try {
    mqtt =
      config.mqtt.mode === 'embedded'
        ? await EmbeddedBroker.start({
            host: config.host,
            mqttPort: config.mqtt.port,
            wsPort: config.mqtt.wsPort,
            authenticator: storeAuthenticator(store, serviceSecret(config.dataDir)),
            ingestor,
            store,
            drainTimeoutMs: config.drainTimeoutMs,
            log,
          })
        : await ExternalBroker.connect({
            url: config.mqtt.url,
            wsUrl: config.mqtt.wsUrl,
            serviceSecret: config.mqtt.serviceSecret,
            ingestor,
            log,
          });
    const broker = mqtt;
    const commander = brokerCommander(broker, store);
    // OTA: keys and artifacts in the data dir, the campaign engine's timer, block serving (apps/cloud/src/ota).
    const otaService = new OtaService({
      store,
      bus,
      dataDir: config.dataDir,
      send: (gatewayId, job) => commander.send(gatewayId, job),
      publish: (topic, payload, opts) => broker.publish(topic, payload, opts),
      log,
    });
    ota = otaService;
    otaService.start();
    // NAS / compression / training jobs in worker threads, their folders under the data dir.
    const jobs = new JobRunner({
      jobs: store.jobs,
      bus,
      dir: join(config.dataDir, 'jobs'),
      ota: otaService,
      log,
    });
    jobs.start();

    const app = createApi({
      store,
      bus,
      commander,
      ota: otaService,
      jobs,
      mqtt: { url: config.publicMqttUrl ?? broker.mqttUrl, wsUrl: broker.wsUrl },
      shutdown: shutdown.signal,
      heartbeatMs: config.sseHeartbeatMs,
      log,
    });
    const server = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.host });
    if (!server.listening) await once(server, 'listening');
    const httpUrl = `http://${urlHost(config.host)}:${(server.address() as AddressInfo).port}`;

    // Last, so a start that fails earlier cannot swallow the one chance to show the token.
    let adminToken: string | undefined;
    if (store.tokens.count() === 0)
      adminToken = store.tokens.create({ name: 'admin', scope: 'admin' }).secret;

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        shutdown.abort(); // ends open SSE streams
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeAllConnections' in server) server.closeAllConnections();
        });
        await jobs.stop();
        await otaService.stop();
        await broker.close();
        await ingestor.close(); // drains, then stops the ingest worker thread
        store.close();
      })();
      return stopping;
    };
    return {
      httpUrl,
      mqttUrl: broker.mqttUrl,
      wsUrl: broker.wsUrl,
      ...(adminToken !== undefined && { adminToken }),
      store,
      bus,
      ota: otaService,
      jobs,
      ingestor,
      stop,
    };
  } catch (e) {
    await ota?.stop();
    await mqtt?.close().catch(() => {});
    store.close();
    throw e;
  }
}
