/**
 * External broker mode: the cloud is one more client (identity `service`, PROTOCOL.md §2.2) of a broker
 * it does not run (Mosquitto, EMQX, a cluster). That broker must enforce the ACL of §2.2 itself. Uplinks
 * arrive on the service subscriptions (§2.2) and are ingested before MQTT.js sends the PUBACK.
 */
import { randomBytes } from 'node:crypto';
import { parseTopic, SERVICE_USERNAME, serviceSubscriptions, statusTopic } from '@tinyfleet/protocol/mqtt';
import mqtt, { type MqttClient } from 'mqtt';
import type { Ingestor } from './ingest/index.js';
import type { CloudMqtt, Log, PublishOptions } from './types.js';

type Packet = Parameters<MqttClient['handleMessage']>[0];

export interface ExternalBrokerOptions {
  /** `mqtt://`, `mqtts://`, `ws://` or `wss://` URL of the broker, as gateways reach it. */
  url: string;
  /** Where browsers reach the broker over WebSocket, if they can. */
  wsUrl?: string | undefined;
  serviceSecret: string;
  /** `{instance}` of the client id `svc-{instance}` (PROTOCOL.md §2.6); one per cloud node. */
  instance?: string;
  ingestor: Ingestor;
  log?: Log;
}

export class ExternalBroker implements CloudMqtt {
  readonly mode = 'external';
  readonly mqttUrl: string;
  readonly wsUrl: string | undefined;
  readonly #client: MqttClient;

  private constructor(client: MqttClient, o: ExternalBrokerOptions) {
    this.#client = client;
    this.mqttUrl = o.url;
    this.wsUrl = o.wsUrl;
  }

  static async connect(o: ExternalBrokerOptions): Promise<ExternalBroker> {
    const log: Log = o.log ?? (() => {});
    const client = await mqtt.connectAsync(o.url, {
      clientId: `svc-${o.instance ?? randomBytes(6).toString('hex')}`,
      username: SERVICE_USERNAME,
      password: o.serviceSecret,
      clean: false, // PROTOCOL.md §2.4 item 4: the broker keeps our subscriptions and queues QoS 1
      reconnectPeriod: 1000,
      resubscribe: true,
    });
    client.on('error', (e) => log('warn', `mqtt service client: ${e.message}`));
    // PUBACK only after ingestion committed (PROTOCOL.md §2.5 item 2); a failed commit gets no PUBACK.
    client.handleMessage = (packet: Packet, done) => {
      if (packet.cmd !== 'publish' || packet.payload.length === 0) {
        done();
        return;
      }
      let gatewayId: string;
      try {
        gatewayId = parseTopic(packet.topic).gatewayId;
      } catch {
        done(); // not ours (the broker's ACL should have prevented it); acknowledged and ignored
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      o.ingestor.accept(gatewayId, packet.topic, payload).then(
        (r) => done(r.status === 'failed' ? new Error(r.reason) : undefined),
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
      );
    };
    const granted = await client.subscribeAsync(serviceSubscriptions(), { qos: 1 });
    if (granted.some((g) => g.qos > 1))
      throw new Error('the external broker refused the service subscriptions');
    return new ExternalBroker(client, o);
  }

  async publish(topic: string, payload: Uint8Array, opts: PublishOptions): Promise<void> {
    await this.#client.publishAsync(topic, Buffer.from(payload), { qos: opts.qos, retain: opts.retain });
  }

  async disconnectGateway(gatewayId: string): Promise<void> {
    // An external broker drops the connection itself once the credential is gone; we clear the status.
    await this.publish(statusTopic(gatewayId), new Uint8Array(0), { qos: 1, retain: true });
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }
}
