/**
 * Worker half of bench:ingest: simulated gateways that publish pre-encoded payloads at QoS 1 with a
 * window of in-flight messages, so the broker under test keeps the main thread (and its core) to itself.
 * Protocol with the parent: workerData = PublisherJob; posts 'ready' once every client is connected,
 * waits for 'go', then posts the elapsed seconds from the first publish to the last PUBACK.
 */
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

export interface PublisherClient {
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
  payloads: Uint8Array[];
}

export interface PublisherJob {
  url: string;
  inflight: number;
  clients: PublisherClient[];
}

async function connect(url: string, c: PublisherClient): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(url, {
    clientId: c.clientId,
    ...(c.username !== undefined && { username: c.username, password: c.password }),
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error(`connection to ${url} closed`)));
  });
  client.removeAllListeners('close');
  return client;
}

function publishAll(client: mqtt.MqttClient, c: PublisherClient, inflight: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const all = c.payloads.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    let next = 0;
    let done = 0;
    const send = () => {
      const i = next++;
      client.publish(c.topic, all[i]!, { qos: 1 }, (err) => {
        if (err) return reject(err);
        if (++done === all.length) return resolve();
        if (next < all.length) send();
      });
    };
    for (let k = 0; k < Math.min(inflight, all.length); k++) send();
  });
}

async function run(job: PublisherJob): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('ingest-publisher must run in a worker thread');
  const clients = await Promise.all(job.clients.map((c) => connect(job.url, c)));
  port.postMessage('ready');
  await new Promise<void>((resolve) => port.once('message', () => resolve()));
  const start = process.hrtime.bigint();
  await Promise.all(clients.map((client, i) => publishAll(client, job.clients[i]!, job.inflight)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await Promise.all(clients.map((c) => c.endAsync()));
  port.postMessage({ seconds });
}

run(workerData as PublisherJob).catch((e: unknown) => {
  throw e instanceof Error ? e : new Error(String(e));
});
